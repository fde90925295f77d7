import test from 'ava';
import type { ActionPlan } from '../../src/instrument/plan';
import { expressMatchedRoute } from '../../src/instrument/express/requests';
import { koaMatchedRoute } from '../../src/instrument/koa/requests';
import { matchRoute as matchPlan, routeEntry } from '../../src/instrument/routes';

class PredictionController {}

function plan(method: string, routeMethod: string, route: string | RegExp, name?: string): ActionPlan {
  return {
    controller: PredictionController,
    where: `PredictionController.${method}`,
    method,
    traced: true,
    routeMethod,
    httpMethod: routeMethod.toUpperCase(),
    route: String(route),
    pattern: route instanceof RegExp,
    name,
    attributes: {},
    hasAttributes: false,
  };
}

const predict = plan('predict', 'post', '/predict/');
const apiPredict = plan('apiPredict', 'post', '/api/predict/');
const model = plan('model', 'get', '/models/:id');
const versioned = plan('versioned', 'get', /^\/v\d+\/models$/);
const any = plan('any', 'all', '/any/');

const route = (path: string | RegExp, ...methods: string[]) => ({ path, methods: Object.fromEntries(methods.map((m) => [m, true])) });
const matchRoute = (plans: ActionPlan[], expressRoute: ReturnType<typeof route>, hint: string | undefined) =>
  matchPlan(plans, expressMatchedRoute(expressRoute), hint);

test('the action is the one whose route ends the matched path, whatever prefix precedes it', (t) => {
  t.is(matchRoute([predict, model], route('/predict/', 'post'), undefined), predict);
  t.is(matchRoute([predict, model], route('/api/predict/', 'post'), undefined), predict);
  t.is(matchRoute([predict, model], route('/api/v1/models/:id', 'get'), undefined), model);
  t.is(matchRoute([predict, model], route('/api/predict/', 'get'), undefined), undefined, 'the method must match');
  t.is(matchRoute([predict, model], route('/predict/other', 'post'), undefined), undefined);
});

test('a prefix routing-controllers could not have produced is no match', (t) => {
  t.is(matchRoute([predict], route('api/predict/', 'post'), undefined), undefined);
  t.is(matchRoute([plan('p', 'post', 'predict/')], route('xpredict/', 'post'), undefined), undefined);
});

test('between routes that end alike, the prefix hint wins, else the longer route', (t) => {
  const plans = [predict, apiPredict];
  t.is(matchRoute(plans, route('/api/predict/', 'post'), undefined), apiPredict);
  t.is(matchRoute(plans, route('/api/predict/', 'post'), '/api'), predict);
  t.is(matchRoute(plans, route('/api/predict/', 'post'), ''), apiPredict);
  t.is(matchRoute(plans, route('/api/api/predict/', 'post'), '/api'), apiPredict);
});

test('a regular-expression route matches only itself (routing-controllers cannot prefix one)', (t) => {
  t.is(matchRoute([versioned], route(/^\/v\d+\/models$/, 'get'), undefined), versioned);
  t.is(matchRoute([versioned], route('/^\\/v\\d+\\/models$/', 'get'), undefined), undefined);
  t.is(matchRoute([model], route(/\/models\/:id/, 'get'), undefined), undefined);
});

test('an @All action matches a route registered with every method', (t) => {
  t.is(matchRoute([any], route('/any/', '_all'), undefined), any);
  t.is(matchRoute([any], route('/any/', 'get', 'post', 'put'), undefined), any);
  t.is(matchRoute([any], route('/any/', 'get'), undefined), undefined);
});

test('routeEntry: the full template, the default or @Traced name, and the action info', (t) => {
  const entry = routeEntry(model, '/api/models/:id', 'drum');
  t.is(entry.route, '/api/models/:id');
  t.is(entry.spanName, 'drum.GET /api/models/:id');
  t.deepEqual(entry.action, { controller: PredictionController, method: 'model', route: '/api/models/:id' });
  t.true(Object.isFrozen(entry.action));
  t.is(routeEntry(plan('predict', 'post', '/predict/', 'drum.invocations'), '/x/predict/', 'drum').spanName, 'drum.invocations');
  t.is(routeEntry(versioned, /^\/v\d+\/models$/, 'model').spanName, 'model.GET /^\\/v\\d+\\/models$/');
});

test('routeEntry: an empty span-name prefix gives the conventions\' METHOD and route', (t) => {
  t.is(routeEntry(model, '/models/:id', '').spanName, 'GET /models/:id');
});

test('Koa: the action is found by the route @koa/router ran, whose trailing slash its driver dropped, and the method', (t) => {
  const koa = (path: string | RegExp, method: string, plans: ActionPlan[], hint?: string) => matchPlan(plans, koaMatchedRoute(path, method), hint);
  t.is(koa('/predict', 'POST', [predict, model]), predict);
  t.is(koa('/api/predict', 'POST', [predict, model]), predict);
  t.is(koa('/api/v1/models/:id', 'GET', [predict, model]), model);
  t.is(koa('/api/v1/models/:id', 'HEAD', [predict, model]), model, '@koa/router answers HEAD on a GET route');
  t.is(koa('/predict', 'GET', [predict, model]), undefined, 'the method must match');
  t.is(koa('/any', 'DELETE', [any]), any);
  t.is(koa('/api/predict', 'POST', [predict, apiPredict], '/api'), predict);
  t.is(koa('/api/predict', 'POST', [predict, apiPredict]), apiPredict);
  t.is(koa(/^\/v\d+\/models$/, 'GET', [versioned]), versioned);
});

test('Koa: a controller\'s root route is the prefix alone, or / without one', (t) => {
  const root = plan('root', 'get', '/');
  const items = plan('items', 'get', '/items');
  t.is(matchPlan([root, items], koaMatchedRoute('/api', 'GET'), '/api'), root);
  t.is(matchPlan([root, items], koaMatchedRoute('/', 'GET'), undefined), root);
  t.is(matchPlan([root, items], koaMatchedRoute('/api/items', 'GET'), undefined), items);
});
