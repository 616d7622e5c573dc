/**
 * Which role names a certificate vouches for. The CA signs every member's certificate; a certificate
 * names the roles its holder may say hello as with URI subject alternative names `steadfast:NAME`
 * (`subjectAltName=URI:steadfast:LFD1,URI:steadfast:S1` for a host that runs LFD1 and S1). A
 * certificate that names none (a client's) may not claim any role.
 */
import type { TLSSocket } from 'node:tls';

const PREFIX = 'URI:steadfast:';

/** The names in `subjectaltname` as Node gives it: `URI:steadfast:S1, IP Address:127.0.0.1, DNS:host`. */
export function namesInAltNames(subjectaltname: string | undefined): string[] {
  if (subjectaltname === undefined || subjectaltname === '') return [];
  return subjectaltname
    .split(', ')
    .filter((entry) => entry.startsWith(PREFIX))
    .map((entry) => entry.slice(PREFIX.length));
}

export function certNamesOf(socket: TLSSocket): string[] {
  return namesInAltNames(socket.getPeerCertificate().subjectaltname);
}
