// Parses and validates an AsyncAPI document with the official parser (@asyncapi/parser, its
// built-in Spectral rules and JSON schemas, bindings included) and Avro payloads with
// @asyncapi/avro-schema-parser. Prints {diagnostics, channels, operations, servers} as JSON.
// Usage: node validate.cjs path/to/asyncapi.yaml
const { Parser, fromFile } = require('@asyncapi/parser');
const { AvroSchemaParser } = require('@asyncapi/avro-schema-parser');

function kafka(bindings) {
  const binding = bindings.get('kafka');
  return binding ? binding.value() : null;
}

async function main(path) {
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());
  const { document, diagnostics } = await fromFile(parser, path).parse();
  const result = {
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      path: d.path.join('.'),
    })),
  };
  if (document) {
    result.version = document.version();
    result.servers = document.servers().all().map((s) => ({
      id: s.id(), protocol: s.protocol(), kafka: kafka(s.bindings()),
    }));
    result.channels = document.channels().all().map((c) => ({
      id: c.id(),
      address: c.address(),
      kafka: kafka(c.bindings()),
      messages: c.messages().all().map((m) => ({
        id: m.id(),
        name: m.name(),
        schemaFormat: m.schemaFormat(),
        payloadFields: m.hasPayload() ? Object.keys(m.payload().properties() || {}) : [],
        key: (() => {
          const k = kafka(m.bindings());
          return k && k.key ? k.key : null;
        })(),
        kafka: kafka(m.bindings()),
        headers: m.hasHeaders() ? Object.keys(m.headers().properties() || {}) : [],
      })),
    }));
    result.operations = document.operations().all().map((o) => ({
      id: o.id(),
      action: o.action(),
      channels: o.channels().all().map((c) => c.address()),
      kafka: kafka(o.bindings()),
    }));
  }
  process.stdout.write(JSON.stringify(result));
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(2);
});
