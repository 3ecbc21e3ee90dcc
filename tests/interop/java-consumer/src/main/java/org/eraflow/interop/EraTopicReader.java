package org.eraflow.interop;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads era topics to their end, read_committed, and decodes every value with Apache Avro alone.
 *
 * <p>Single-object encoding (C3 01 + CRC-64-AVRO fingerprint) is resolved by Avro's own {@link
 * SchemaStore.Cache} holding every {@code schemas/*.avsc} and {@code schemas/releases/*\/*.avsc}
 * and read by {@link BinaryMessageDecoder} into the current schema of the same record. The
 * Confluent framing (00 + 4-byte schema id) is read with {@link GenericDatumReader}, the writer
 * schema taken from {@code --schema-ids DIR/<id>.avsc} (what a registry returns for that id).
 *
 * <p>Prints one JSON line per record ({@code topic, partition, offset, key, framing, schema,
 * value}) and a last line {@code {"counts": {topic: n}}}. Arguments: {@code --bootstrap
 * HOST:PORT --schemas DIR --topics T1,T2 [--schema-ids DIR] [--group ID] [--timeout-seconds N]}.
 */
public final class EraTopicReader {
  private final Map<String, Schema> current = new HashMap<>();
  private final SchemaStore.Cache store = new SchemaStore.Cache();
  private final Map<String, BinaryMessageDecoder<GenericRecord>> decoders = new HashMap<>();
  private final Map<Integer, Schema> byRegistryId = new HashMap<>();

  EraTopicReader(Path schemas, Path schemaIds) throws IOException {
    for (Path file : avscFiles(schemas)) {
      Schema schema = parse(file);
      current.put(schema.getFullName(), schema);
      store.addSchema(schema);
    }
    Path releases = schemas.resolve("releases");
    if (Files.isDirectory(releases)) {
      try (Stream<Path> dirs = Files.list(releases)) {
        for (Path release : dirs.filter(Files::isDirectory).sorted().toList()) {
          for (Path file : avscFiles(release)) {
            store.addSchema(parse(file));
          }
        }
      }
    }
    if (schemaIds != null) {
      for (Path file : avscFiles(schemaIds)) {
        String name = file.getFileName().toString();
        byRegistryId.put(Integer.parseInt(name.substring(0, name.length() - 5)), parse(file));
      }
    }
  }

  private static List<Path> avscFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
    }
  }

  private static Schema parse(Path file) throws IOException {
    return new Schema.Parser().parse(Files.readString(file)); // a parser per file: names repeat
  }

  /** The decoded value as {@code [framing, schema full name, JSON]}. */
  String[] decode(byte[] value) throws IOException {
    if (value != null && value.length >= 10 && (value[0] & 0xff) == 0xC3 && value[1] == 0x01) {
      long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      Schema writer = store.findByFingerprint(fingerprint);
      if (writer == null) {
        throw new IOException(String.format("unknown fingerprint %016x", fingerprint));
      }
      Schema reader = current.getOrDefault(writer.getFullName(), writer);
      BinaryMessageDecoder<GenericRecord> decoder =
          decoders.computeIfAbsent(
              reader.getFullName(),
              name -> new BinaryMessageDecoder<>(GenericData.get(), reader, store));
      GenericRecord record = decoder.decode(value);
      return new String[] {"single-object", reader.getFullName(), GenericData.get().toString(record)};
    }
    if (value != null && value.length >= 5 && value[0] == 0) {
      int id = ByteBuffer.wrap(value, 1, 4).getInt();
      Schema writer = byRegistryId.get(id);
      if (writer == null) {
        throw new IOException("no schema for registry id " + id);
      }
      Schema reader = current.getOrDefault(writer.getFullName(), writer);
      GenericDatumReader<GenericRecord> datumReader = new GenericDatumReader<>(writer, reader);
      GenericRecord record =
          datumReader.read(
              null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
      return new String[] {"confluent", reader.getFullName(), GenericData.get().toString(record)};
    }
    throw new IOException("not an Avro record (neither single-object nor Confluent framing)");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    String ids = options.get("--schema-ids");
    EraTopicReader reader =
        new EraTopicReader(Path.of(options.get("--schemas")), ids == null ? null : Path.of(ids));
    List<String> topics = List.of(options.get("--topics").split(","));
    long timeoutMs = 1000L * Long.parseLong(options.getOrDefault("--timeout-seconds", "60"));

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.get("--bootstrap"));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, options.getOrDefault("--group", "era-java-reader"));
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    Map<String, Integer> counts = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        counts.put(topic, 0);
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
          partitions.add(new TopicPartition(topic, info.partition()));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // read_committed: the end offsets are the last stable offsets
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (!reachedEnd(consumer, end)) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("topics not read to their end in time");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          counts.merge(record.topic(), 1, Integer::sum);
          out.println(line(reader, record));
        }
      }
    }
    out.println("{\"counts\": " + json(counts) + "}");
    out.flush();
  }

  private static boolean reachedEnd(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> entry : end.entrySet()) {
      if (consumer.position(entry.getKey()) < entry.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static String line(EraTopicReader reader, ConsumerRecord<byte[], byte[]> record) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("topic", quote(record.topic()));
    fields.put("partition", Integer.toString(record.partition()));
    fields.put("offset", Long.toString(record.offset()));
    fields.put(
        "key",
        record.key() == null ? "null" : quote(new String(record.key(), StandardCharsets.UTF_8)));
    try {
      String[] decoded = reader.decode(record.value());
      fields.put("framing", quote(decoded[0]));
      fields.put("schema", quote(decoded[1]));
      fields.put("value", decoded[2]);
    } catch (IOException | RuntimeException e) {
      Map<String, String> headers = new TreeMap<>();
      for (Header header : record.headers()) {
        String text = header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
        headers.put(header.key(), text == null ? "null" : quote(text));
      }
      fields.put("framing", quote("raw"));
      fields.put("error", quote(e.toString()));
      fields.put("headers", object(headers));
    }
    return object(fields);
  }

  private static String json(Map<String, Integer> counts) {
    Map<String, String> fields = new LinkedHashMap<>();
    counts.forEach((topic, n) -> fields.put(topic, Integer.toString(n)));
    return object(fields);
  }

  private static String object(Map<String, String> fields) {
    StringBuilder text = new StringBuilder("{");
    fields.forEach(
        (name, value) -> {
          if (text.length() > 1) {
            text.append(", ");
          }
          text.append(quote(name)).append(": ").append(value);
        });
    return text.append('}').toString();
  }

  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        default -> {
          if (c < 0x20) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }
}
