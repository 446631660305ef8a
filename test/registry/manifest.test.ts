import { describe, expect, it } from 'vitest';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import { ManifestError, MediaType, parseManifest, type ManifestErrorReason } from '../../src/registry/manifest.js';

const d = (label: string): Digest => computeDigest(label);
const CONFIG = d('config');
const L1 = d('layer-1');
const L2 = d('layer-2');
const FOREIGN = d('windows-base-layer');
const CHILD_AMD64 = d('child-amd64');
const CHILD_ARM64 = d('child-arm64');
const SUBJECT = d('subject-image');

const docker = {
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  foreign: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
};
const oci = {
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
};

function dockerSchema2(): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MediaType.dockerSchema2,
    config: { mediaType: docker.config, size: 1469, digest: CONFIG },
    layers: [
      { mediaType: docker.layer, size: 3370706, digest: L1 },
      { mediaType: docker.layer, size: 214, digest: L2 },
    ],
  };
}

function ociManifest(): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: 'application/vnd.example.sbom.v1+json',
    config: { mediaType: oci.empty, digest: CONFIG, size: 2, data: 'e30=' },
    layers: [{ mediaType: oci.layer, digest: L1, size: 32654, annotations: { 'org.opencontainers.image.title': 'sbom.json' } }],
    subject: { mediaType: MediaType.ociManifest, digest: SUBJECT, size: 7682 },
    annotations: { 'org.opencontainers.image.created': '2026-11-28T23:28:51Z' },
  };
}

function list(mediaType: string, childType: string): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType,
    manifests: [
      { mediaType: childType, size: 7143, digest: CHILD_AMD64, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: childType, size: 7682, digest: CHILD_ARM64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ],
  };
}

function schema1(signed: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    schemaVersion: 1,
    name: 'library/hello-world',
    tag: 'latest',
    architecture: 'amd64',
    fsLayers: [{ blobSum: L1 }, { blobSum: L2 }, { blobSum: L1 }],
    history: [{ v1Compatibility: '{"id":"a"}' }, { v1Compatibility: '{"id":"b"}' }, { v1Compatibility: '{"id":"c"}' }],
  };
  if (signed) {
    body['signatures'] = [
      {
        header: { jwk: { crv: 'P-256', kid: 'ABCD:EFGH', kty: 'EC', x: 'x', y: 'y' }, alg: 'ES256' },
        signature: 'XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_IqnKkEKlbD83tD46LKEGi5aIVFg',
        protected: 'eyJmb3JtYXRMZW5ndGgiOjY2MjgsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAxNS0wNC0wOFQxODo1Mjo1OVoifQ',
      },
    ];
  }
  return body;
}

function expectManifestError(input: string | Uint8Array, reason: ManifestErrorReason): ManifestError {
  let thrown: unknown;
  try {
    parseManifest(input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ManifestError);
  expect((thrown as ManifestError).reason).toBe(reason);
  expect((thrown as ManifestError).name).toBe('ManifestError');
  return thrown as ManifestError;
}

const json = (value: unknown): string => JSON.stringify(value, null, 3);

describe('parseManifest: the kinds of spec §2', () => {
  it('Docker schema 2 image: config and layers', () => {
    expect(parseManifest(json(dockerSchema2()))).toEqual({
      kind: 'docker-schema2',
      mediaType: MediaType.dockerSchema2,
      blobs: [CONFIG, L1, L2],
      children: [],
      subject: undefined,
    });
  });

  it('accepts bytes as well as text', () => {
    expect(parseManifest(Buffer.from(json(dockerSchema2()))).blobs).toEqual([CONFIG, L1, L2]);
    expect(parseManifest(new Uint8Array(Buffer.from(json(dockerSchema2())))).kind).toBe('docker-schema2');
  });

  it('reads bytes in place: a view into a larger buffer is read from its own offset to its own end', () => {
    const text = json(dockerSchema2());
    const padded = new TextEncoder().encode(`[[[${text}]]]`);
    const view = new Uint8Array(padded.buffer, 3, padded.length - 6);
    expect(parseManifest(view).blobs).toEqual([CONFIG, L1, L2]);
    expect(parseManifest(Buffer.from(padded.buffer, 3, padded.length - 6)).blobs).toEqual([CONFIG, L1, L2]);
  });

  it('Docker manifest list: children only', () => {
    expect(parseManifest(json(list(MediaType.dockerList, MediaType.dockerSchema2)))).toEqual({
      kind: 'docker-list',
      mediaType: MediaType.dockerList,
      blobs: [],
      children: [CHILD_AMD64, CHILD_ARM64],
      subject: undefined,
    });
  });

  it('OCI image manifest: config, layers and subject as a weak reference', () => {
    const refs = parseManifest(json(ociManifest()));
    expect(refs).toEqual({ kind: 'oci-manifest', mediaType: MediaType.ociManifest, blobs: [CONFIG, L1], children: [], subject: SUBJECT });
    expect(refs.blobs).not.toContain(SUBJECT);
    expect(refs.children).not.toContain(SUBJECT);
  });

  it('OCI image index: children and subject', () => {
    const body = { ...list(MediaType.ociIndex, MediaType.ociManifest), subject: { mediaType: MediaType.ociIndex, digest: SUBJECT, size: 1 } };
    expect(parseManifest(json(body))).toEqual({
      kind: 'oci-index',
      mediaType: MediaType.ociIndex,
      blobs: [],
      children: [CHILD_AMD64, CHILD_ARM64],
      subject: SUBJECT,
    });
  });

  it('OCI artifact manifest (draft): blobs and subject', () => {
    const body = {
      mediaType: MediaType.ociArtifact,
      artifactType: 'application/vnd.example.signature.v1',
      blobs: [
        { mediaType: 'application/vnd.example.sig', digest: L1, size: 128 },
        { mediaType: 'application/vnd.example.cert', digest: L2, size: 900 },
      ],
      subject: { mediaType: MediaType.ociManifest, digest: SUBJECT, size: 7682 },
    };
    expect(parseManifest(json(body))).toEqual({ kind: 'oci-artifact', mediaType: MediaType.ociArtifact, blobs: [L1, L2], children: [], subject: SUBJECT });
  });

  it('OCI artifact manifest without blobs references only its subject', () => {
    const body = { mediaType: MediaType.ociArtifact, artifactType: 'application/vnd.example', subject: { digest: SUBJECT, size: 1, mediaType: MediaType.ociManifest } };
    expect(parseManifest(json(body))).toMatchObject({ kind: 'oci-artifact', blobs: [], children: [], subject: SUBJECT });
  });

  it('Docker schema 1, unsigned, with mediaType v1+json: fsLayers[].blobSum, duplicates removed', () => {
    const refs = parseManifest(json({ ...schema1(false), mediaType: MediaType.dockerSchema1 }));
    expect(refs).toEqual({ kind: 'schema1', mediaType: MediaType.dockerSchema1, blobs: [L1, L2], children: [], subject: undefined });
  });

  it('Docker schema 1, signed, without mediaType (as the registry stores it)', () => {
    const refs = parseManifest(json(schema1(true)));
    expect(refs).toEqual({ kind: 'schema1', mediaType: undefined, blobs: [L1, L2], children: [], subject: undefined });
  });

  it('Docker schema 1, signed, with mediaType v1+prettyjws', () => {
    const refs = parseManifest(json({ ...schema1(true), mediaType: MediaType.dockerSchema1Signed }));
    expect(refs).toEqual({ kind: 'schema1', mediaType: MediaType.dockerSchema1Signed, blobs: [L1, L2], children: [], subject: undefined });
  });

  it('foreign layers with urls are still listed in blobs', () => {
    const body = dockerSchema2();
    body['layers'] = [
      { mediaType: docker.foreign, size: 1069462655, digest: FOREIGN, urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/' + FOREIGN] },
      { mediaType: docker.layer, size: 214, digest: L2 },
    ];
    expect(parseManifest(json(body)).blobs).toEqual([CONFIG, FOREIGN, L2]);
  });

  it('removes duplicates while keeping first-seen order', () => {
    const body = dockerSchema2();
    body['layers'] = [
      { mediaType: docker.layer, size: 1, digest: L2 },
      { mediaType: docker.layer, size: 1, digest: L1 },
      { mediaType: docker.layer, size: 1, digest: L2 },
      { mediaType: docker.layer, size: 1, digest: CONFIG },
    ];
    expect(parseManifest(json(body)).blobs).toEqual([CONFIG, L2, L1]);
    const index = list(MediaType.ociIndex, MediaType.ociManifest);
    index['manifests'] = [{ digest: CHILD_AMD64 }, { digest: CHILD_ARM64 }, { digest: CHILD_AMD64 }];
    expect(parseManifest(json(index)).children).toEqual([CHILD_AMD64, CHILD_ARM64]);
  });

  it('reads sha512 digests too', () => {
    const big = computeDigest('layer', 'sha512');
    const body = dockerSchema2();
    body['layers'] = [{ mediaType: docker.layer, size: 5, digest: big }];
    expect(parseManifest(json(body)).blobs).toEqual([CONFIG, big]);
  });
});

describe('parseManifest: absent mediaType is dispatched by shape', () => {
  it('manifests[] → index', () => {
    const { mediaType: _omit, ...body } = list(MediaType.ociIndex, MediaType.ociManifest);
    expect(parseManifest(json(body))).toEqual({ kind: 'oci-index', mediaType: undefined, blobs: [], children: [CHILD_AMD64, CHILD_ARM64], subject: undefined });
  });

  it('config + layers → image', () => {
    const { mediaType: _omit, ...body } = ociManifest();
    expect(parseManifest(json(body))).toEqual({ kind: 'oci-manifest', mediaType: undefined, blobs: [CONFIG, L1], children: [], subject: SUBJECT });
  });

  it('schemaVersion 1 → schema1', () => {
    expect(parseManifest(json(schema1(false)))).toMatchObject({ kind: 'schema1', mediaType: undefined, blobs: [L1, L2] });
  });

  it('manifests[] wins over config + layers', () => {
    const body = { schemaVersion: 2, manifests: [{ digest: CHILD_AMD64 }], config: { digest: CONFIG }, layers: [{ digest: L1 }] };
    expect(parseManifest(json(body))).toMatchObject({ kind: 'oci-index', children: [CHILD_AMD64], blobs: [CONFIG, L1] });
  });

  it('an unknown shape is an unknown media type', () => {
    expectManifestError(json({ schemaVersion: 2, blobs: [{ digest: L1 }] }), 'unknown_media_type');
    expectManifestError(json({ schemaVersion: 2, config: { digest: CONFIG } }), 'unknown_media_type');
    expectManifestError(json({}), 'unknown_media_type');
  });
});

describe('parseManifest: what it refuses', () => {
  it.each([
    ['not JSON', '{"schemaVersion": 2,'],
    ['empty input', ''],
    ['binary garbage', '\u0000\u0001\u0002'],
  ])('%s → not_json', (_label, input) => {
    expectManifestError(input, 'not_json');
  });

  it.each([
    ['a JSON array', '[]'],
    ['a JSON string', '"application/vnd.oci.image.manifest.v1+json"'],
    ['JSON null', 'null'],
    ['a JSON number', '2'],
  ])('%s → not_object', (_label, input) => {
    expectManifestError(input, 'not_object');
  });

  it.each([
    ['an unknown media type', 'application/vnd.example.unknown+json'],
    ['a plain JSON media type', 'application/json'],
    ['a config media type', 'application/vnd.oci.image.config.v1+json'],
    ['a media type with different case', MediaType.dockerSchema2.toUpperCase()],
    ['a non-string media type', 2],
    ['a null media type', null],
  ])('%s → unknown_media_type, even when the document has a known shape', (_label, mediaType) => {
    expectManifestError(json({ ...dockerSchema2(), mediaType }), 'unknown_media_type');
  });

  it.each([
    ['a layer without digest', (b: Record<string, unknown>) => void (b['layers'] = [{ mediaType: docker.layer, size: 1 }])],
    ['a layer digest of the wrong length', (b: Record<string, unknown>) => void (b['layers'] = [{ digest: `sha256:${'a'.repeat(63)}` }])],
    ['a layer digest in upper case', (b: Record<string, unknown>) => void (b['layers'] = [{ digest: L1.toUpperCase() }])],
    ['a path as layer digest', (b: Record<string, unknown>) => void (b['layers'] = [{ digest: '../../etc/passwd' }])],
    ['a layer that is a string', (b: Record<string, unknown>) => void (b['layers'] = [L1])],
    ['a null layer', (b: Record<string, unknown>) => void (b['layers'] = [null])],
    ['layers not an array', (b: Record<string, unknown>) => void (b['layers'] = { 0: { digest: L1 } })],
    ['layers a string', (b: Record<string, unknown>) => void (b['layers'] = L1)],
    ['a config without digest', (b: Record<string, unknown>) => void (b['config'] = { mediaType: docker.config, size: 1 })],
    ['a null config', (b: Record<string, unknown>) => void (b['config'] = null)],
    ['a bad subject', (b: Record<string, unknown>) => void (b['subject'] = { digest: 'sha256:nope' })],
  ])('schema 2 with %s → bad_descriptor', (_label, mutate) => {
    const body = dockerSchema2();
    mutate(body);
    expectManifestError(json(body), 'bad_descriptor');
  });

  it('a bad child descriptor in an index → bad_descriptor', () => {
    const body = list(MediaType.ociIndex, MediaType.ociManifest);
    body['manifests'] = [{ digest: CHILD_AMD64 }, { mediaType: MediaType.ociManifest, size: 1 }];
    expectManifestError(json(body), 'bad_descriptor');
    body['manifests'] = 'not a list';
    expectManifestError(json(body), 'bad_descriptor');
  });

  it('a schema1 fsLayer without blobSum → bad_descriptor', () => {
    const body = schema1(false);
    body['fsLayers'] = [{ blobSum: L1 }, { digest: L2 }];
    expectManifestError(json(body), 'bad_descriptor');
  });

  it.each([
    ['schema 2 without config', MediaType.dockerSchema2, 'config'],
    ['schema 2 without layers', MediaType.dockerSchema2, 'layers'],
    ['OCI manifest without config', MediaType.ociManifest, 'config'],
  ])('%s → missing_field', (_label, mediaType, field) => {
    const body: Record<string, unknown> = { ...dockerSchema2(), mediaType };
    delete body[field];
    const error = expectManifestError(json(body), 'missing_field');
    expect(error.message).toContain(field);
  });

  it('lists, indexes and schema1 without their reference field → missing_field', () => {
    expectManifestError(json({ schemaVersion: 2, mediaType: MediaType.dockerList }), 'missing_field');
    expectManifestError(json({ schemaVersion: 2, mediaType: MediaType.ociIndex }), 'missing_field');
    expectManifestError(json({ schemaVersion: 1, mediaType: MediaType.dockerSchema1Signed, name: 'a', tag: 'b' }), 'missing_field');
    expectManifestError(json({ schemaVersion: 1, name: 'a', tag: 'b' }), 'missing_field');
  });
});

describe('ManifestError.subject', () => {
  const unknown = (subject?: unknown): string =>
    json({
      schemaVersion: 2,
      mediaType: 'application/vnd.example.unknown+json',
      config: { digest: CONFIG },
      ...(subject === undefined ? {} : { subject }),
    });

  it('an unknown media type with a valid subject carries that digest', () => {
    const error = expectManifestError(unknown({ mediaType: MediaType.ociManifest, digest: SUBJECT, size: 10 }), 'unknown_media_type');
    expect(error.subject).toBe(SUBJECT);
  });

  it.each([
    ['a malformed digest', { digest: 'sha256:1234' }],
    ['no digest', { mediaType: MediaType.ociManifest, size: 10 }],
    ['a string', SUBJECT],
    ['null', null],
    ['an array', [{ digest: SUBJECT }]],
  ])('with a subject that is %s it is "unknown"', (_label, subject) => {
    const error = expectManifestError(unknown(subject), 'unknown_media_type');
    expect(error.subject).toBe('unknown');
  });

  it('without a subject it is undefined', () => {
    const error = expectManifestError(unknown(), 'unknown_media_type');
    expect(error.subject).toBeUndefined();
  });

  it('other failures carry the subject too, and input that is no object carries none', () => {
    const body = { ...ociManifest() };
    delete body['config'];
    expect(expectManifestError(json(body), 'missing_field').subject).toBe(SUBJECT);
    expect(expectManifestError('{oops', 'not_json').subject).toBeUndefined();
    expect(expectManifestError('[{"subject":{"digest":"' + SUBJECT + '"}}]', 'not_object').subject).toBeUndefined();
  });
});

describe('media types that name built-in object properties', () => {
  for (const mediaType of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    it(`"${mediaType}" is an unknown media type, not a crash`, () => {
      expect(() => parseManifest(JSON.stringify({ mediaType, config: {}, layers: [] }))).toThrow(ManifestError);
      try {
        parseManifest(JSON.stringify({ mediaType, config: {}, layers: [] }));
      } catch (error) {
        expect((error as ManifestError).reason).toBe('unknown_media_type');
      }
    });
  }
});
