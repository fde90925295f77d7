import test from 'ava';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createResource } from '../../src/setup/resource';
import { withEnv } from './support';

async function settledAttributes(serviceName: string | undefined, attributes = {}) {
  const resource = createResource(serviceName, attributes);
  await resource.waitForAsyncAttributes?.();
  return resource.attributes;
}

// Serial: the resources package reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES from process.env.

test.serial('service.name drum by default, with the SDK, process and host attributes', async (t) => {
  await withEnv({ OTEL_SERVICE_NAME: undefined, OTEL_RESOURCE_ATTRIBUTES: undefined }, async () => {
    const attributes = await settledAttributes(undefined);
    t.is(attributes[ATTR_SERVICE_NAME], 'drum');
    t.is(attributes['telemetry.sdk.language'], 'nodejs');
    t.is(attributes['process.pid'], process.pid);
  });
});

test.serial('OTEL_RESOURCE_ATTRIBUTES over the default, OTEL_SERVICE_NAME over both, the options over all', async (t) => {
  await withEnv({ OTEL_SERVICE_NAME: undefined, OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name,team=ml' }, async () => {
    const attributes = await settledAttributes(undefined);
    t.is(attributes[ATTR_SERVICE_NAME], 'attr-name');
    t.is(attributes.team, 'ml');
  });
  await withEnv({ OTEL_SERVICE_NAME: 'env-name', OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name' }, async () => {
    t.is((await settledAttributes(undefined))[ATTR_SERVICE_NAME], 'env-name');
    const overridden = await settledAttributes('option-name', { team: 'option' });
    t.is(overridden[ATTR_SERVICE_NAME], 'option-name');
    t.is(overridden.team, 'option');
  });
});

test.serial('a malformed OTEL_RESOURCE_ATTRIBUTES is dropped whole by the SDK (setupOtel warns about it)', async (t) => {
  await withEnv({ OTEL_SERVICE_NAME: undefined, OTEL_RESOURCE_ATTRIBUTES: 'team=ml,url=a=b' }, async () => {
    const attributes = await settledAttributes(undefined);
    t.is(attributes[ATTR_SERVICE_NAME], 'drum');
    t.false('team' in attributes);
  });
});
