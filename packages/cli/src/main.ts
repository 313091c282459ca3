// `parley`: exit 0 on success; else exit 1 with ONE line on stderr naming the cause.
import { parseInvocation, USAGE } from './args.ts';
import { commands } from './commands.ts';
import { CliError, describe, errorCode, oneLine } from './errors.ts';
import { createOut, safe } from './output.ts';

async function main(argv: string[]): Promise<number> {
  let server = process.env.PARLEY_SERVER ?? 'http://localhost:8000';
  let json = argv.includes('--json');
  try {
    const inv = parseInvocation(argv, process.env);
    server = inv.server;
    json = inv.json;
    if (inv.help || inv.command === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (!inv.command) throw new CliError('no command given (see parley --help)');
    const command = commands[inv.command];
    if (!command) throw new CliError(`unknown command "${inv.command}" (see parley --help)`);
    await command(inv, createOut(inv.json));
    return 0;
  } catch (e) {
    const message = oneLine(describe(e, server));
    if (json) process.stderr.write(`${JSON.stringify({ type: 'error', code: errorCode(e), message })}\n`);
    else process.stderr.write(`parley: ${safe(message)}\n`);
    return 1;
  }
}

/** Resolves once everything written to `stream` so far has been handed to the OS (a pipe may lag behind). */
const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

// Exit explicitly: a live socket or a timer must not keep a finished command alive. But only once stdout and
// stderr are drained: a reader at the end of a pipe gets every line, and the status comes after them.
const status = await main(process.argv.slice(2));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(status);
