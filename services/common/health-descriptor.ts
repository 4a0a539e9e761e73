// grpc.health.v1's file descriptor, added to the reflection descriptor set so that reflection clients (buf curl,
// grpcurl) can describe and call the Health service too; gen/descriptor.binpb holds only tgsage's own protos.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';

function healthFile(): Uint8Array {
  const field = (name: string, type: FieldDescriptorProto_Type, typeName?: string) => ({
    name,
    number: 1,
    label: FieldDescriptorProto_Label.OPTIONAL,
    type,
    jsonName: name,
    ...(typeName ? { typeName } : {}),
  });
  return toBinary(
    FileDescriptorProtoSchema,
    create(FileDescriptorProtoSchema, {
      name: 'grpc/health/v1/health.proto',
      package: 'grpc.health.v1',
      syntax: 'proto3',
      messageType: [
        { name: 'HealthCheckRequest', field: [field('service', FieldDescriptorProto_Type.STRING)] },
        {
          name: 'HealthCheckResponse',
          field: [field('status', FieldDescriptorProto_Type.ENUM, '.grpc.health.v1.HealthCheckResponse.ServingStatus')],
          enumType: [
            {
              name: 'ServingStatus',
              value: [
                { name: 'UNKNOWN', number: 0 },
                { name: 'SERVING', number: 1 },
                { name: 'NOT_SERVING', number: 2 },
                { name: 'SERVICE_UNKNOWN', number: 3 },
              ],
            },
          ],
        },
      ],
      service: [
        {
          name: 'Health',
          method: [
            { name: 'Check', inputType: '.grpc.health.v1.HealthCheckRequest', outputType: '.grpc.health.v1.HealthCheckResponse' },
            {
              name: 'Watch',
              inputType: '.grpc.health.v1.HealthCheckRequest',
              outputType: '.grpc.health.v1.HealthCheckResponse',
              serverStreaming: true,
            },
          ],
        },
      ],
    }),
  );
}

/** `set` (an encoded FileDescriptorSet) with grpc/health/v1/health.proto appended (field 1 of FileDescriptorSet). */
export function withHealthDescriptor(set: Uint8Array): Uint8Array {
  const file = healthFile();
  const prefix: number[] = [0x0a];
  for (let v = file.length; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      prefix.push(v);
      break;
    }
    prefix.push((v % 128) | 128);
  }
  return Buffer.concat([set, Buffer.from(prefix), file]);
}
