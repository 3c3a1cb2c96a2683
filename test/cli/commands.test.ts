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
import { remoteOptions } from '../../src/cli/remote.js';
import { VERSION } from '../../src/version.js';

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

  it('a command line loads the module naming its command; help or no command load every one, --version none', async () => {
    assert.equal((await commandModulesFor(['download', 'jw01039-o004_t001_miri_ch3-long', '--no-progress'])).length, 1);
    assert.equal((await commandModulesFor(['--engine', 'http://localhost:8000', 'search', 'target', 'M31'])).length, 1);
    for (const args of [[], ['--help'], ['help'], ['donwload', 'x'], ['--help', '--version'], ['-V', '-h'], ['--version', 'help'], ['--engine', 'http://x', '--version']]) {
      assert.equal((await commandModulesFor(args)).length, commandEntries.length, args.join(' '));
    }
    for (const args of [['--version'], ['-V'], ['--no-color', '--version']]) assert.equal((await commandModulesFor(args)).length, 0, args.join(' '));
    assert.deepEqual(names(await buildProgram(['download', 'x'])), ['download']);
    assert.deepEqual(names(await buildProgram(['help', 'table'])), ['spectrum', 'table']);
    assert.deepEqual(names(await buildProgram([])), commandEntries.flatMap((e) => e.names).sort());
  });

  it('--version prints the same line without the command modules; --help lists every command as before', async () => {
    const run = async (args: string[]) => {
      const program = await buildProgram(args);
      let out = '';
      program.exitOverride().configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (out += t) });
      await assert.rejects(program.parseAsync(['node', 'jwst-engine', ...args]), (e: { code?: string }) => /commander\.(version|helpDisplayed)/.test(e.code ?? ''));
      return { out, commands: names(program) };
    };
    const version = await run(['--version']);
    assert.deepEqual(version.commands, []);
    assert.equal(version.out, `${VERSION}\n`);
    assert.equal((await run(['-V'])).out, `${VERSION}\n`);
    // Help built as before (every module) is what commander prints: the command list included.
    const help = await run(['--help']);
    assert.deepEqual(help.commands, commandEntries.flatMap((e) => e.names).sort());
    const full = new Command();
    full.name('jwst-engine').description('JWST data from the terminal: MAST search, downloads, FITS inspection, previews and analysis').version(VERSION);
    remoteOptions(full);
    for (const entry of commandEntries) (await entry.load())(full);
    assert.equal(help.out, full.helpInformation());
  });
});
