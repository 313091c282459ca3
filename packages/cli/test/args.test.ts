// The command line: words that start with '-' (a base64url room id does one time in 64, a message may) are
// arguments; only long options and -h are options.
import { describe, expect, it } from 'vitest';
import { parseInvocation } from '../src/args.ts';

const parse = (...argv: string[]) => parseInvocation(argv, {});

describe('parley arguments', () => {
  it('takes a room id or a message that starts with "-" as an argument', () => {
    const r = parse('--user', 'alice', 'send', '-uKx3vQ', '-5 degrees', '--json');
    expect(r).toMatchObject({ command: 'send', args: ['-uKx3vQ', '-5 degrees'], user: 'alice', json: true });
  });

  it('reads options before, between and after the arguments, in both spellings', () => {
    const r = parse('read', '--server=http://h:1', 'room', '--limit', '20', '-h');
    expect(r).toMatchObject({ command: 'read', args: ['room'], server: 'http://h:1', limit: 20, help: true });
    expect(parse('create-room', 'x', '--member', 'bob', '--member=carol').members).toEqual(['bob', 'carol']);
  });

  it('after "--" every word is an argument', () => {
    expect(parse('send', 'room', '--', '--json', '-h')).toMatchObject({
      args: ['room', '--json', '-h'],
      json: false,
    });
  });

  it('still refuses an unknown option and a bad value with a message that says which', () => {
    expect(() => parse('rooms', '--bogus')).toThrow(/'--bogus'/);
    expect(() => parse('read', 'room', '--limit', '-5')).toThrow(/--limit must be a positive integer, got "-5"/);
    expect(() => parse('create-room', 'x', '--history', 'all')).toThrow(
      /--history must be shared or joined, got "all"/,
    );
  });

  it('[R5] --history shared|joined, null when not given', () => {
    expect(parse('create-room', 'x', '--history', 'joined').history).toBe('joined');
    expect(parse('create-room', 'x', '--history=shared').history).toBe('shared');
    expect(parse('create-room', 'x').history).toBeNull();
  });
});
