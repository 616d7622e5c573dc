/**
 * Authenticated hellos (docs/protocol.md): with the cluster's shared secret, both ends of a control
 * link prove they know it, each with an HMAC-SHA256 over both sides' fresh nonces, names, roles and
 * the protocol version. A proof made for one connection is worthless on another (other nonces), and
 * one side's proof cannot stand for the other's (the side is in the text).
 */
import { crypto } from '../lazy-modules.js';
import type { Peer } from './links.js';

/** What a session needs to authenticate hellos: the secret, and fresh nonces (32 hex digits). */
export interface Auth {
  secret: string;
  nonce(): string;
}

/** One handshake: who connected to whom, with which nonces. */
export interface Handshake {
  connector: Peer;
  listener: Peer;
  connectorNonce: string;
  listenerNonce: string;
  version: number;
}

export type Side = 'connector' | 'listener';

export function proofOf(secret: string, side: Side, h: Handshake): string {
  const text = [
    'steadfast hello',
    String(h.version),
    side,
    h.connectorNonce,
    h.listenerNonce,
    h.connector.name,
    h.connector.role,
    h.listener.name,
    h.listener.role,
  ].join('\n');
  return crypto().createHmac('sha256', secret).update(text).digest('hex');
}

export function proofHolds(secret: string, side: Side, h: Handshake, proof: string): boolean {
  const expected = Buffer.from(proofOf(secret, side, h), 'hex');
  const given = Buffer.from(proof, 'hex');
  return given.length === expected.length && crypto().timingSafeEqual(given, expected);
}
