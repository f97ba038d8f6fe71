import { describe, expect, it } from 'vitest';
import { explainUnknownCommand } from '../../src/lib/did-you-mean.js';
import { unknownCommandError } from '../../src/oclif/unknown-command.js';

const tree = {
  commands: [
    'check',
    'meshconfig patch',
    'meshconfig set',
    'meshconfig show',
    'namespace add',
    'namespace list',
    'namespace remove',
    'proxy get',
    'sandbox start',
    'sandbox status',
    'sandbox stop',
    'version',
  ],
  topics: ['meshconfig', 'namespace', 'proxy', 'sandbox'],
};

describe('an unknown command line explained', () => {
  it('stops at the first word that is no topic, and suggests within that topic', () => {
    expect(explainUnknownCommand(['proxy', 'gett'], tree)).toEqual({
      typed: 'proxy gett',
      topic: 'proxy',
      suggestions: ['proxy get'],
    });
    // The arguments after the mistyped word are not part of it.
    expect(explainUnknownCommand(['proxy', 'gett', 'config_dump', 'x'], tree).typed).toBe('proxy gett');
    expect(explainUnknownCommand(['namespace', 'adds'], tree).suggestions).toEqual(['namespace add']);
  });

  it('compares as many words as a command has, and prefers a command to its topic', () => {
    expect(explainUnknownCommand(['meshconfg', 'show'], tree)).toEqual({
      typed: 'meshconfg',
      topic: '',
      suggestions: ['meshconfig show'],
    });
    expect(explainUnknownCommand(['meshconfg'], tree).suggestions).toEqual(['meshconfig']);
    expect(explainUnknownCommand(['versoin'], tree).suggestions).toEqual(['version']);
  });

  it('offers every command equally near, and none when nothing is near', () => {
    expect(explainUnknownCommand(['sandbox', 'sto'], tree).suggestions).toEqual(['sandbox stop']);
    expect(explainUnknownCommand(['sandbox', 'sta'], tree).suggestions).toEqual(['sandbox start', 'sandbox stop']);
    expect(explainUnknownCommand(['deploy', 'everything'], tree).suggestions).toEqual([]);
  });
});

describe('the error', () => {
  it('names what was typed with spaces, the nearest command and the help to read (exit 2)', () => {
    const error = unknownCommandError(['proxy', 'gett', 'config_dump', 'x'], tree, 'arcmesh');
    expect(error.message).toBe("'arcmesh proxy gett' is not a command. Did you mean 'arcmesh proxy get'?");
    expect(error.hint).toBe("See 'arcmesh proxy --help' for the commands.");
    expect(error.exitCode).toBe(2);
    expect(unknownCommandError(['sandbox', 'sta'], tree, 'arcmesh').message).toBe(
      "'arcmesh sandbox sta' is not a command. Did you mean one of 'arcmesh sandbox start', 'arcmesh sandbox stop'?",
    );
    expect(unknownCommandError(['deploy'], tree, 'arcmesh').message).toBe("'arcmesh deploy' is not a command.");
    expect(unknownCommandError(['deploy'], tree, 'arcmesh').hint).toBe("See 'arcmesh --help' for the commands.");
  });

  it('says so when a flag comes before any command', () => {
    expect(unknownCommandError(['-o'], tree, 'arcmesh').message).toBe('No command before -o: the command comes first.');
  });
});
