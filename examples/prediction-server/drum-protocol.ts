/**
 * The datarobot-drum release whose prediction server this example follows: its routes, answers, error shape
 * and `/info/` keys (`custom_model_runner/datarobot_drum/drum/root_predictors/prediction_server.py`).
 * `/info/` reports it as `drumVersion`, as DRUM reports its own version there.
 */
export const DRUM_PROTOCOL_VERSION = '1.17.20';

/** DRUM's name (`RunLanguage`) for a model in a language other than Python, R and Java. */
export const DRUM_LANGUAGE_OTHER = 'other';
