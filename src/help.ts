/**
 * oclif's help with two changes:
 * - strings without an EJS tag are printed as they are instead of being compiled as templates. oclif renders
 *   every description, flag and example through `ejs.render`, which was about a tenth of
 *   `arcmesh <command> --help`'s start-up; only examples that use `<%= config.bin %>` need it.
 * - a command whose first flag has no short form keeps that flag lined up with the others (see renderList).
 */
import { CommandHelp, Help } from '@oclif/core/help';

function skippingPlainText(render: (input: string) => string): (input: string) => string {
  return (input) => (input.includes('<%') ? render(input) : input);
}

/** A row rendered before the real ones and cut off again: oclif's trim then takes nothing that matters. */
const PLACEHOLDER_ROW = ['x'];

class ArcmeshCommandHelp extends CommandHelp {
  constructor(...args: ConstructorParameters<typeof CommandHelp>) {
    super(...args);
    this.render = skippingPlainText(this.render);
  }

  /**
   * oclif pads a flag without a short form with spaces where `-x, ` would be, so that the long names line up,
   * then trims the whole rendered list, which takes the padding off the first row only
   * (`arcmesh feature register --help`: `--namespace`).
   */
  override renderList(input: Array<Array<string | undefined>>, opts: Parameters<CommandHelp['renderList']>[1]) {
    if (!/^\s/.test(input[0]?.[0] ?? '')) return super.renderList(input, opts);
    const rendered = super.renderList([PLACEHOLDER_ROW, ...input], opts);
    return rendered.slice(rendered.indexOf('\n') + 1).replace(/^\n+/, '');
  }
}

export default class ArcmeshHelp extends Help {
  protected override CommandHelpClass = ArcmeshCommandHelp;

  constructor(...args: ConstructorParameters<typeof Help>) {
    super(...args);
    this.render = skippingPlainText(this.render);
  }
}
