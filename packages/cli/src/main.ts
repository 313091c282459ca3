// `parley`: exit 0 on success; else exit 1 with ONE line on stderr naming the cause.
import { parseInvocation, USAGE } from './args.ts';
import { commands } from './commands.ts';
import { CliError, describe, oneLine } from './errors.ts';
import { createOut } from './output.ts';

async function main(argv: string[]): Promise<number> {
  let server = process.env.PARLEY_SERVER ?? 'http://localhost:8000';
  try {
    const inv = parseInvocation(argv, process.env);
    server = inv.server;
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
    process.stderr.write(`parley: ${oneLine(describe(e, server))}\n`);
    return 1;
  }
}

// Exit explicitly: a live socket or a timer must not keep a finished command alive.
process.exitCode = await main(process.argv.slice(2));
process.exit();
