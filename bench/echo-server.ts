/** `echo-server.ts PORT`: the echo baseline as a process; prints `listening PORT` once bound. */
import { portOf, startEchoServer } from './echo.js';

const port = Number(process.argv[2] ?? 0);
const server = await startEchoServer(port);
console.log(`listening ${portOf(server)}`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
