import type { IrisModel } from '../model';

/** A model the chat routes serve: one assistant, two answer styles. */
export interface ChatModel {
  readonly id: string;
  /** `detailed`: the species, every probability and the measurements read; `brief`: the species and its probability. */
  readonly style: 'detailed' | 'brief';
}

export const CHAT_MODELS: readonly ChatModel[] = [
  { id: 'iris-assistant', style: 'detailed' },
  { id: 'iris-assistant-mini', style: 'brief' },
];

/** `created` of every model in the list: when the committed weights were fitted (fixed, so answers are stable). */
export const MODELS_CREATED = 1_735_689_600;

/** What the assistant reads: the text of each message, oldest first. */
export interface ChatTurnText {
  readonly role: string;
  readonly content: string;
}

const NUMBER = /\d+(?:\.\d+)?/g;
const MEASUREMENTS = ['sepal length', 'sepal width', 'petal length', 'petal width'];

/**
 * The Iris assistant's answer to a conversation: it reads the last user message, and when that holds exactly
 * four numbers (centimetres, in the order of `MEASUREMENTS`) answers with the classifier's species and
 * probabilities; otherwise it says what it needs. Deterministic: the same conversation gets the same answer.
 */
export function answer(model: IrisModel, chatModel: ChatModel, messages: readonly ChatTurnText[]): string {
  const question = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const written = question.match(NUMBER) ?? [];
  if (written.length !== 4) return explain(chatModel, written.length);
  const probabilities = model.probabilities(written.map(Number));
  const best = probabilities.indexOf(Math.max(...probabilities));
  const species = model.classes[best];
  if (chatModel.style === 'brief') return `${species} (${probabilities[best].toFixed(2)})`;
  const listed = model.classes.map((label, k) => `${label} ${probabilities[k].toFixed(3)}`).join(', ');
  const read = MEASUREMENTS.map((name, j) => `${name} ${written[j]} cm`).join(', ');
  return `Predicted species: ${species}. Probabilities: ${listed} (${read}).`;
}

function explain(chatModel: ChatModel, found: number): string {
  const order = MEASUREMENTS.join(', ');
  if (chatModel.style === 'brief') return `Send four measurements: ${order}.`;
  const seen = found === 0 ? 'Your message has no numbers.' : `Your message has ${found} number${found === 1 ? '' : 's'}.`;
  return (
    `I classify Iris flowers. Send four measurements in centimetres, in this order: ${order}; ` +
    `for example "5.1, 3.5, 1.4, 0.2". ${seen}`
  );
}
