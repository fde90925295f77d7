import { ValueType, type Attributes, type Meter, type ObservableResult } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_URL_SCHEME } from '@opentelemetry/semantic-conventions';

// A development-status name of the HTTP conventions, copied rather than imported from the package's
// `incubating` entry, as the semantic-conventions package advises for names that may still change.
/** `http.server.active_requests`: requests in flight. */
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';

/** The requests in flight with one method and scheme. */
export interface ActiveCount {
  readonly attributes: Attributes;
  value: number;
}

/**
 * `http.server.active_requests` of one meter, counted here and reported when the meter's readers collect: an
 * asynchronous up-down counter, so that a request costs two increments rather than two synchronous
 * measurements, for each of which the SDK would hash the attributes again.
 */
export class ActiveRequests {
  private readonly counts = new Map<string, Map<string, ActiveCount>>();

  constructor(meter: Meter) {
    meter
      .createObservableUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
        description: 'Number of active HTTP server requests.',
        unit: '{request}',
        valueType: ValueType.INT,
      })
      .addCallback((result) => this.observe(result));
  }

  /** The count of requests with this method and scheme, to be incremented and decremented by each. */
  countOf(method: string, scheme: string): ActiveCount {
    let bySchemes = this.counts.get(method);
    if (bySchemes === undefined) this.counts.set(method, (bySchemes = new Map()));
    let count = bySchemes.get(scheme);
    if (count === undefined) {
      count = { attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: scheme }, value: 0 };
      bySchemes.set(scheme, count);
    }
    return count;
  }

  private observe(result: ObservableResult): void {
    for (const bySchemes of this.counts.values()) {
      for (const count of bySchemes.values()) result.observe(count.value, count.attributes);
    }
  }
}

// One count per meter: every instrumentControllers call with the same provider shares its meter, and a second
// callback observing the same attributes would not add up with the first.
const activeRequestsByMeter = new WeakMap<Meter, ActiveRequests>();

/** The active requests of `meter`, counted once however many calls record through it. */
export function activeRequestsOf(meter: Meter): ActiveRequests {
  let active = activeRequestsByMeter.get(meter);
  if (active === undefined) {
    active = new ActiveRequests(meter);
    activeRequestsByMeter.set(meter, active);
  }
  return active;
}
