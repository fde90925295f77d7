/** The requests the load generator sends, by route name (the names servers report in `ready`). */
import type { RouteSpec } from './configs';

/** A small JSON document; the echo action returns it as it came. */
const ECHO_BODY = JSON.stringify({ id: 'bench', rows: [[5.1, 3.5, 1.4, 0.2]], tags: ['a', 'b'] });

/** Ten rows of the public Iris data (Fisher, 1936), features only, as a DRUM client sends a CSV batch. */
const IRIS_CSV = [
  'sepal_length,sepal_width,petal_length,petal_width',
  '5.1,3.5,1.4,0.2',
  '4.9,3.0,1.4,0.2',
  '7.0,3.2,4.7,1.4',
  '6.4,3.2,4.5,1.5',
  '6.3,3.3,6.0,2.5',
  '5.8,2.7,5.1,1.9',
  '4.7,3.2,1.3,0.2',
  '6.9,3.1,4.9,1.5',
  '7.1,3.0,5.9,2.1',
  '5.5,2.3,4.0,1.3',
  '',
].join('\n');

export const ROUTES: readonly RouteSpec[] = [
  { name: 'echo', method: 'POST', path: '/echo/', contentType: 'application/json', body: ECHO_BODY },
  { name: 'predict', method: 'POST', path: '/predict/', contentType: 'text/csv', body: IRIS_CSV },
];

/** BENCH_ROUTES (a comma list of route names), or every route. */
export function selectedRoutes(): readonly RouteSpec[] {
  const raw = process.env.BENCH_ROUTES;
  if (!raw) return ROUTES;
  const names = raw.split(',').map((name) => name.trim());
  return ROUTES.filter((route) => names.includes(route.name));
}
