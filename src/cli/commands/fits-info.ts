/**
 * `jwst-engine info FILE` (the HDU list, like astropy's `hdul.info()`) and
 * `jwst-engine header FILE [--hdu N|NAME]` (80-column cards), with `--json` giving what
 * GET /fits/info and GET /fits/header return. Local paths; MAX_FITS_FILE_SIZE_MB applies.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config.js';
import { textTable } from '../text-table.js';
import { fitsHeaderFile, fitsInfoFile, limitsFromSettings, type ViewerLimits } from '../../imaging/viewer/index.js';

function limits(): ViewerLimits {
  return limitsFromSettings(loadSettings());
}

const TYPE_NAMES: Record<string, string> = {
  image: 'ImageHDU',
  bintable: 'BinTableHDU',
  'ascii-table': 'TableHDU',
  'compressed-image': 'CompImageHDU',
  'compressed-table': 'CompTableHDU',
  'random-groups': 'GroupsHDU',
  unknown: 'NonstandardExtHDU',
};

export function fitsInfoCommands(program: Command): void {
  program
    .command('info')
    .description('list the HDUs of a FITS file: index, name, version, type, cards, dimensions, BITPIX')
    .argument('<file>', 'FITS file (.fits, .fits.gz, .fits.bz2, .fz ...)')
    .option('--json', 'print the JSON of GET /fits/info')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await fitsInfoFile(resolve(file), limits());
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const rows = info.hdus.map((h) => [
        String(h.index),
        h.name,
        String(h.ver),
        h.index === 0 && h.type === 'image' ? 'PrimaryHDU' : TYPE_NAMES[h.type] ?? h.type,
        String(h.n_cards),
        h.shape.length ? `(${h.shape.join(', ')})` : '()',
        String(h.bitpix),
      ]);
      process.stdout.write(`Filename: ${file}${info.wrapper !== 'none' ? ` (${info.wrapper})` : ''}\n`);
      process.stdout.write(textTable(['No.', 'Name', 'Ver', 'Type', 'Cards', 'Dimensions', 'BITPIX'], rows));
      for (const w of info.warnings) process.stdout.write(`warning: ${w}\n`);
    });

  program
    .command('header')
    .description('print one HDU header as 80-column cards (default: the primary HDU)')
    .argument('<file>', 'FITS file')
    .option('--hdu <n|name>', 'HDU index or EXTNAME', '0')
    .option('--json', 'print the JSON of GET /fits/header')
    .action(async (file: string, opts: { hdu: string; json?: boolean }) => {
      const h = await fitsHeaderFile(resolve(file), opts.hdu, limits());
      if (opts.json) process.stdout.write(`${JSON.stringify(h, null, 2)}\n`);
      else process.stdout.write(`${h.text}\nEND\n`);
    });
}
