import { createNoopMeter, metrics, ValueType, type Attributes, type Histogram, type MeterProvider } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_SCHEME,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';
import { ATTR_DRUM_REQUEST_ABORTED, outcomeErrorType, type RequestOutcome } from '../span';
import { VERSION } from '../version';
import { activeRequestsOf, type ActiveCount, type ActiveRequests } from './active-requests';

/** The HTTP conventions' advised buckets for `http.server.request.duration`, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The two instruments, from one meter. */
export interface HttpServerInstruments {
  readonly duration: Histogram;
  readonly activeRequests: ActiveRequests;
}

/**
 * The HTTP server metrics of one `instrumentControllers` call. Without a given provider the global one is
 * looked up per request: the metrics API has no proxy provider, and an application may register its SDK
 * after instrumenting its controllers. The instruments are created again only when that provider changes.
 */
export class HttpServerMetrics {
  private provider: MeterProvider | undefined;
  private instruments: HttpServerInstruments | undefined;

  constructor(private readonly given: MeterProvider | undefined) {}

  /**
   * The instruments of the current provider (a request keeps the ones it started with), or `undefined` while
   * it is the API's no-op provider: nothing would be recorded, so nothing is measured.
   */
  current(): HttpServerInstruments | undefined {
    const provider = this.given ?? metrics.getMeterProvider();
    if (provider !== this.provider) {
      this.provider = provider;
      this.instruments = createInstruments(provider);
    }
    return this.instruments;
  }
}

function createInstruments(provider: MeterProvider): HttpServerInstruments | undefined {
  const meter = provider.getMeter('drum-otel', VERSION);
  if (meter === createNoopMeter()) return undefined;
  return {
    duration: meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    activeRequests: activeRequestsOf(meter),
  };
}

/**
 * The attributes of every duration measurement, written with the names themselves in its literal (see
 * `RequestAttributes` in server-attributes.ts: computed keys cost a runtime call each until the function is
 * optimized), checked against the constants by these properties.
 */
interface DurationAttributes extends Attributes {
  [ATTR_HTTP_REQUEST_METHOD]: string;
  [ATTR_URL_SCHEME]: string;
  [ATTR_HTTP_ROUTE]: string;
  [ATTR_NETWORK_PROTOCOL_VERSION]: string;
}

/**
 * One request's share of the metrics: counted active from its start, then recorded with its duration under
 * its method, route, status, scheme, protocol version, `error.type` for a 5xx, and `drum.request.aborted`
 * when the client left first.
 */
export class RequestMeasurement {
  private readonly startTime = performance.now();
  private readonly active: ActiveCount;

  constructor(
    private readonly instruments: HttpServerInstruments,
    private readonly method: string,
    private readonly scheme: string,
    private readonly protocolVersion: string,
    private readonly route: string,
  ) {
    this.active = instruments.activeRequests.countOf(method, scheme);
    this.active.value++;
  }

  end(outcome: RequestOutcome): void {
    const seconds = (performance.now() - this.startTime) / 1000;
    this.active.value--;
    // A literal, not a spread of the active count's attributes: Node 20 copies such an object ten times slower.
    const attributes: DurationAttributes = {
      'http.request.method': this.method,
      'url.scheme': this.scheme,
      'http.route': this.route,
      'network.protocol.version': this.protocolVersion,
    };
    if (outcome.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = outcome.statusCode;
    const errorType = outcomeErrorType(outcome);
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    if (outcome.aborted) attributes[ATTR_DRUM_REQUEST_ABORTED] = true;
    this.instruments.duration.record(seconds, attributes);
  }
}
