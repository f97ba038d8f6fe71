/**
 * oclif's help with one change: strings without an EJS tag are printed as they are instead of being compiled
 * as templates. oclif renders every description, flag and example through `ejs.render`, which was about a
 * tenth of `arcmesh <command> --help`'s start-up; only examples that use `<%= config.bin %>` need it.
 */
import { CommandHelp, Help } from '@oclif/core/help';

function skippingPlainText(render: (input: string) => string): (input: string) => string {
  return (input) => (input.includes('<%') ? render(input) : input);
}

class ArcmeshCommandHelp extends CommandHelp {
  constructor(...args: ConstructorParameters<typeof CommandHelp>) {
    super(...args);
    this.render = skippingPlainText(this.render);
  }
}

export default class ArcmeshHelp extends Help {
  protected override CommandHelpClass = ArcmeshCommandHelp;

  constructor(...args: ConstructorParameters<typeof Help>) {
    super(...args);
    this.render = skippingPlainText(this.render);
  }
}
