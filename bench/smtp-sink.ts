/**
 * A minimal SMTP sink for benchmarks, run in its own process so its work is not charged to the
 * sender: accepts every message, keeps none, counts them and their bytes. Prints `{"port":N}` once
 * listening; answers `count` on stdin with `{"received":N,"bytes":B,"cpuMs":M}`; exits when stdin
 * closes.
 */
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';

let received = 0;
/** Message bytes as the client meant them (after smtp-server undoes the dot-stuffing). */
let bytes = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.on('end', () => {
      received++;
      callback();
    });
  },
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.server.address() as AddressInfo).port }));
});
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'count') {
    const cpu = process.cpuUsage();
    console.log(JSON.stringify({ received, bytes, cpuMs: (cpu.user + cpu.system) / 1000 }));
  }
});
input.on('close', () => server.close(() => process.exit(0)));
