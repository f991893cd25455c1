// Delay proxy for Lab.slow(): listens on LHOST:LPORT, forwards to THOST:TPORT and holds every client->host chunk
// DELAY_MS before passing it on (host->client is not delayed), so each round trip gains DELAY_MS — what
// `tc netem delay` would do, on a kernel without sch_netem. Plain JS so it runs without a TypeScript loader.
// Prints "ready" on stdout once listening.
import net from 'node:net';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const [lhost, lport, thost, tport, delayArg] = process.argv.slice(2);
const delay = Number(delayArg);

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: thost, port: Number(tport) });
  upstream.setNoDelay(true);
  const closeBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', closeBoth);
  upstream.on('error', closeBoth);
  upstream.on('close', () => client.destroy());
  client.on('close', () => setTimeout(() => upstream.destroy(), delay));
  // Deadlines only grow, so timers fire in arrival order and the byte stream stays in order.
  client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delay));
  client.on('end', () => setTimeout(() => upstream.end(), delay));
  upstream.pipe(client);
});
server.on('error', (err) => {
  process.stderr.write(`delay-proxy: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(lport), lhost, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
