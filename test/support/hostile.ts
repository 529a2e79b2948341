/** Hostile inputs the tests build (never checked in as blobs). */

/** YAML's "billion laughs": nine levels of nine aliases each, 9^9 strings once expanded. */
export const ALIAS_BOMB = (() => {
  const names = 'abcdefghi';
  let text = `a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n`;
  for (let i = 1; i < names.length; i++) {
    text += `${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(', ')}]\n`;
  }
  return text;
})();
