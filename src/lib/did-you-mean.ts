/** "Did you mean …?" for names a user typed: the closest known name by edit distance, if it is close enough. */

/** Levenshtein distance (insertions, deletions, substitutions each cost 1), in O(min(a,b)) memory. */
export function editDistance(a: string, b: string): number {
  if (a.length < b.length) [a, b] = [b, a];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known name closest to `typed` (compared without regard to case), or undefined when none is within
 * a third of the typed length: beyond that a suggestion is noise rather than a likely typo.
 */
export function closestMatch(typed: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(typed.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** A CLI's command lines and topics as users type them, words separated by spaces (`proxy get`, `proxy`). */
export interface CommandTree {
  commands: readonly string[];
  topics: readonly string[];
}

export interface UnknownCommand {
  /** What the user typed, up to and including the first word that is no topic: `proxy gett`, `meshconfg`. */
  typed: string;
  /** The known topic those words are under; '' at the top. */
  topic: string;
  /** The closest command lines or topics under that topic, best first; empty when none is close. */
  suggestions: string[];
}

/** Words that oclif could not resolve to a command or topic, explained: where they stop making sense, and what is near. */
export function explainUnknownCommand(words: readonly string[], tree: CommandTree): UnknownCommand {
  const topics = new Set(tree.topics);
  let depth = 0;
  while (depth < words.length - 1 && topics.has(words.slice(0, depth + 1).join(' '))) depth++;
  const topic = words.slice(0, depth).join(' ');
  const typed = words.slice(0, depth + 1).join(' ');
  const scored = [...tree.commands, ...tree.topics]
    .filter((name) => name !== topic && (topic === '' || name.startsWith(`${topic} `)))
    .map((name) => {
      const rest = name.split(' ').slice(depth);
      const typedRest = words.slice(depth, depth + rest.length).join(' ');
      const distance = editDistance(typedRest.toLowerCase(), rest.join(' ').toLowerCase());
      return { name, distance, close: distance <= Math.max(2, Math.floor(typedRest.length / 3)) };
    })
    .filter((candidate) => candidate.close);
  const best = Math.min(...scored.map((candidate) => candidate.distance));
  const nearest = scored.filter((candidate) => candidate.distance === best).map((candidate) => candidate.name);
  // A topic beside one of its own commands says less than the command.
  const suggestions = nearest.filter((name) => !nearest.some((other) => other.startsWith(`${name} `))).sort();
  return { typed, topic, suggestions };
}
