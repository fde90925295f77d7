/**
 * How the Iris assistant counts tokens, for `usage` and `max_tokens`: a token is a word or a number (letters
 * and digits, with a number's decimal point inside it), or any other single visible character, together with
 * the whitespace before it. Whitespace at the very end belongs to the last token, so the tokens of a text
 * join back to exactly that text: "Predicted species: setosa." is `Predicted`, ` species`, `:`, ` setosa`, `.`.
 */
const TOKEN = /\s*(?:[\p{L}\p{N}]+(?:\.\p{N}+)*|\S)/gu;

/** The tokens of `text`, in order; `tokenize(text).join('') === text`. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [...(text.match(TOKEN) ?? [])];
  const covered = tokens.reduce((length, token) => length + token.length, 0);
  if (covered < text.length) {
    // Only trailing whitespace is left over.
    if (tokens.length === 0) tokens.push(text.slice(covered));
    else tokens[tokens.length - 1] += text.slice(covered);
  }
  return tokens;
}

/** The prompt's size: the tokens of every message's text (roles are not counted). */
export function countPromptTokens(contents: readonly string[]): number {
  return contents.reduce((total, content) => total + tokenize(content).length, 0);
}
