# Eddy's image for remote mode (deploy/eddy.yaml). Build it from the repository
# root after `make web` (the binary embeds web/dist):
#   docker build -f deploy/eddy.Dockerfile -t registry.example/eddy:latest .
# Eddy links SQLite with cgo, so it is built and run on the same Debian.
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN test -f web/dist/index.html && go build -trimpath -o /out/eddy ./cmd/eddy

FROM debian:trixie-slim
# CA certificates: Eddy fetches flink.execution.packages from a Maven repository over HTTPS.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /data eddy
COPY --from=build /out/eddy /usr/local/bin/eddy
USER 10001:10001
EXPOSE 8890 9464
ENTRYPOINT ["/usr/local/bin/eddy"]
CMD ["serve", "--addr=0.0.0.0:8890", "--data-dir=/data/eddy"]
