# The Flink image of the session cluster, the SQL Gateway and exported
# applications: Flink 2.3.0 with what Eddy's own local cluster has on its
# classpath. Build it from the repository root after `make flink`:
#   docker build -f deploy/flink.Dockerfile -t registry.example/eddy-flink:2.3.0 .
FROM flink:2.3.0
# Kafka, Avro and Parquet: the jars of .flink/connectors (checked against deps/connectors.sha256).
COPY .flink/connectors/*.jar /opt/flink/lib/
# Eddy's catalog (type 'eddy'), built by make flink.
COPY .flink/catalog/eddy-catalog.jar /opt/flink/lib/
