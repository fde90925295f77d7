import test from 'ava';
import { largeIrisCsv } from '../../bench/iris-csv';
import { peakRssMegabytes } from '../../bench/peak-rss';
import { PROCESS_BOUND_MS, send, startNpmStart, type Answer, type ServerProcess } from './server-process';

// A body at the size limit (10 MiB of CSV, 655,000 rows) to the server `npm start` (and `npm run start:koa`)
// runs: every row answered, health probes answered while it is read and scored, the server's memory bounded.
// How fast: `npm run bench:csv`.

// 10 MiB, less room for the multipart wrapping: the whole body must stay within the server's limit.
const CSV_BYTES = 10 * 1024 * 1024 - 4096;
const PEAK_RSS_BUDGET_MB = 250;
const LABELS = ['setosa', 'versicolor', 'virginica'];

/** Sends `request` and asks /ping/ again and again until it is answered; the statuses of the pings. */
async function pingWhile(server: ServerProcess, request: Promise<Answer>): Promise<{ answer: Answer; pings: number[] }> {
  let done = false;
  const answer = request.finally(() => (done = true));
  const pings: number[] = [];
  while (!done) pings.push((await send(`${server.url}/ping/`, {}, PROCESS_BOUND_MS)).status);
  return { answer: await answer, pings };
}

/** The most probable label of each row of a `{"predictions": [...]}` answer. */
function predictedLabels(answer: Answer): string[] {
  const { predictions } = answer.json() as { predictions: Record<string, number>[] };
  return predictions.map((row) => LABELS.reduce((best, name) => (row[name] > row[best] ? name : best)));
}

/** The labels of a `/predictUnstructured/` answer: a `species` header, one label per line. */
function csvLabels(answer: Answer): string[] {
  const [header, ...labels] = answer.body.trimEnd().split('\n');
  return header === 'species' ? labels : [];
}

for (const script of ['start', 'start:koa']) {
  test(`npm ${script}: a 10 MiB CSV, as the body and as multipart X: every row predicted, /ping/ answered meanwhile, peak RSS under 250 MB`, async (t) => {
    const { text, species } = largeIrisCsv(CSV_BYTES);
    t.true(species.length > 600_000, `${species.length} rows`);
    const server = await startNpmStart(t, { PORT: '0', OTEL_TRACES_EXPORTER: 'none' }, script);
    // npm's child: the server reports its own pid.
    const { drum_info: processes } = (await send(`${server.url}/stats/`)).json() as { drum_info: { pid: number }[] };
    const serverPid = processes[0].pid;
    t.not(serverPid, server.child.pid);
    const boundary = 'drum-otel-large-csv';
    // The 61 MB JSON answer once; the labels answer (6 MB) for the other upload, to spare a busy machine.
    const uploads = [
      { label: 'text/csv body to /predict/', path: '/predict/', type: 'text/csv', body: text, labels: predictedLabels },
      {
        label: 'multipart X to /predictUnstructured/',
        path: '/predictUnstructured/',
        type: `multipart/form-data; boundary=${boundary}`,
        body: `--${boundary}\r\nContent-Disposition: form-data; name="X"; filename="large.csv"\r\n\r\n${text}\r\n--${boundary}--\r\n`,
        labels: csvLabels,
      },
    ];
    for (const { label, path, type, body, labels } of uploads) {
      const request = send(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body }, PROCESS_BOUND_MS);
      const { answer, pings } = await pingWhile(server, request);
      t.is(answer.status, 200, label);
      const predicted = labels(answer);
      t.is(predicted.length, species.length, label);
      const correct = predicted.filter((name, i) => name === species[i]).length;
      t.true(correct / species.length > 0.97, `${label}: ${correct} of ${species.length} rows predicted as their species`);
      // The body is read and scored a slice per event-loop turn: probes get in between, not only after it.
      t.true(pings.length >= 3 && pings.every((status) => status === 200), `${label}: pings ${JSON.stringify(pings)}`);
    }
    const peak = peakRssMegabytes(serverPid);
    t.true(peak < PEAK_RSS_BUDGET_MB, `peak RSS ${peak.toFixed(0)} MB`);
    const exit = await server.stop('SIGTERM');
    t.deepEqual([exit.code, exit.signal], [0, null]);
  });
}
