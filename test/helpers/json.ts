/** The message `JSON.parse` throws for `text` (the engine's wording, which servers echo in their 400s). */
export function jsonErrorMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(text)} is valid JSON`);
}
