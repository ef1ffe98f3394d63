/**
 * A minimal SMTP sink for benchmarks, run in its own process so its work is not charged to the
 * sender: accepts every message, keeps none, counts them. Prints `{"port":N}` once listening;
 * answers `count` on stdin with `{"received":N,"cpuMs":M}`; exits when stdin closes.
 */
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
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
    console.log(JSON.stringify({ received, cpuMs: (cpu.user + cpu.system) / 1000 }));
  }
});
input.on('close', () => server.close(() => process.exit(0)));
