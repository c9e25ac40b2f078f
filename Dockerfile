# One image for ipamd, the CNI plugin and its installer (DESIGN.md §1). Node 24 runs ipamd's
# TypeScript sources directly (type stripping); the CNI plugin is built into one self-contained
# executable (cni/build.ts: esbuild bundle in a Node single executable application), because it runs
# on the host, which has no Node. ipamd's installer copies it to the host's CNI bin dir and writes
# the conflist once ipamd serves. Not built in this workplace: it has no Docker engine.
FROM node:24-bookworm-slim AS plugin
WORKDIR /opt/vpcwire
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY contract ./contract
COPY iproute ./iproute
COPY durable ./durable
COPY cni ./cni
RUN node cni/build.ts
# ipamd's Kubernetes client as one module (ipamd/kube/client.ts: half the memory of the package's index).
COPY ipamd/kube/build-client.ts ./ipamd/kube/build-client.ts
RUN node ipamd/kube/build-client.ts

# The runtime stage holds production code only (issue 10 item 3): ipamd, the planner, the contract,
# the node's CLI (bin/vpcwire.ts: status, max-pods, version; max-pods reads data/) and the built
# plugin. Not the emulator (sim/), the local-cluster harness (cluster/), the developer CLI
# (bin/vpcwire-dev.ts), tests or dev dependencies (the emulator's own packages among them); lint
# keeps production code from importing them.
FROM node:24-bookworm-slim
# ip and iptables-restore: ipamd sets up each secondary ENI's routes and rules and the node's SNAT.
RUN apt-get update && apt-get install -y --no-install-recommends iproute2 iptables && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/vpcwire
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin/vpcwire.ts ./bin/vpcwire.ts
COPY contract ./contract
COPY iproute ./iproute
COPY durable ./durable
COPY ipamd ./ipamd
COPY warm-pool ./warm-pool
COPY data ./data
COPY --from=plugin /opt/vpcwire/build/cni/vpcwire ./build/cni/vpcwire
COPY --from=plugin /opt/vpcwire/build/kube-client.mjs ./build/kube-client.mjs
# The DaemonSet mounts the host's /opt/cni/bin and /etc/cni/net.d at these paths.
ENV VPCWIRE_INSTALL_CNI=true
ENTRYPOINT ["node"]
CMD ["ipamd/main.ts"]
