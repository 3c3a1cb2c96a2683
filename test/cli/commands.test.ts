/**
 * The CLI loads only the command modules a command line names (src/cli/commands/index.ts): each
 * module must register exactly the top-level names its entry lists, or a command would be missing
 * when called by name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { commandEntries, commandModulesFor } from '../../src/cli/commands/index.js';
import { buildProgram } from '../../src/cli/main.js';

const names = (program: Command) => program.commands.map((c) => c.name()).sort();

describe('CLI command modules, loaded by name', () => {
  it('each module registers exactly the names its entry lists, and no name is listed twice', async () => {
    const all = commandEntries.flatMap((e) => e.names);
    assert.equal(new Set(all).size, all.length, all.join(', '));
    for (const entry of commandEntries) {
      const program = new Command();
      (await entry.load())(program);
      assert.deepEqual(names(program), [...entry.names].sort());
    }
  });

  it('a command line loads the module naming its command; help, --version or no command load every one', async () => {
    assert.equal((await commandModulesFor(['download', 'jw01039-o004_t001_miri_ch3-long', '--no-progress'])).length, 1);
    assert.equal((await commandModulesFor(['--engine', 'http://localhost:8000', 'search', 'target', 'M31'])).length, 1);
    for (const args of [[], ['--help'], ['--version'], ['help'], ['donwload', 'x']]) assert.equal((await commandModulesFor(args)).length, commandEntries.length, args.join(' '));
    assert.deepEqual(names(await buildProgram(['download', 'x'])), ['download']);
    assert.deepEqual(names(await buildProgram(['help', 'table'])), ['spectrum', 'table']);
    assert.deepEqual(names(await buildProgram([])), commandEntries.flatMap((e) => e.names).sort());
  });
});
