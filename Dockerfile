# One image for ipamd, the CNI plugin and its installer (DESIGN.md §1). Node 24 runs ipamd's
# TypeScript sources directly (type stripping); the CNI plugin is built into one self-contained
# executable (cni/build.ts: esbuild bundle in a Node single executable application), because it runs
# on the host, which has no Node. ipamd's installer copies it to the host's CNI bin dir and writes
# the conflist once ipamd serves.
#
# BASE: node:24-bookworm-slim from a registry, or the same made locally without one (image/base.sh:
# debootstrap + the lockfile's Node). image/build.sh builds this with podman; README "The image".
ARG BASE=node:24-bookworm-slim

# The plugin, ipamd's Kubernetes client bundle and the production node_modules. Only two of the
# dev dependencies are needed to build (esbuild, postject; Node itself is the base's), installed at
# the lockfile's versions outside /opt/vpcwire so they never reach the runtime stage.
FROM ${BASE} AS build
# Behind a TLS-intercepting proxy npm needs its CA: a file the build mounts (image/build.sh passes
# the host's NODE_EXTRA_CA_CERTS). Unset otherwise; this stage is not part of the image.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /opt/vpcwire
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
RUN pin() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; } && \
    npm install --prefix /opt --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
      "esbuild@$(pin esbuild)" "postject@$(pin postject)"
COPY contract ./contract
COPY iproute ./iproute
COPY durable ./durable
COPY cni ./cni
RUN node cni/build.ts
# ipamd's Kubernetes client as one module (ipamd/kube/client.ts: half the memory of the package's index).
COPY ipamd/kube/build-client.ts ./ipamd/kube/build-client.ts
RUN node ipamd/kube/build-client.ts

# The runtime stage holds production code only (issue 10 item 3): ipamd, the planner, the contract,
# the node's CLI (bin/vpcwire.ts: status, health, migrate, max-pods, metrics-helper, version; max-pods and ipamd
# read data/, migrate the chart's values schema) and the built plugin. Not the emulator (sim/), the
# local-cluster harness (cluster/), the developer CLI (bin/vpcwire-dev.ts), tests, the CDK app or
# dev dependencies (the emulator's own packages among them); lint keeps production code from
# importing them, and .dockerignore keeps them out of the build context.
FROM ${BASE}
# ip and iptables-restore: ipamd sets up each secondary ENI's routes and rules and the node's SNAT.
RUN apt-get update && apt-get install -y --no-install-recommends iproute2 iptables && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/vpcwire
COPY --from=build /opt/vpcwire/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin/vpcwire.ts ./bin/vpcwire.ts
COPY contract ./contract
COPY iproute ./iproute
COPY durable ./durable
COPY ipamd ./ipamd
COPY warm-pool ./warm-pool
COPY migrate ./migrate
# `vpcwire metrics-helper`, the CloudWatch publisher (the chart's metricsHelper Deployment).
COPY metrics-helper ./metrics-helper
COPY data ./data
COPY charts/vpcwire/values.schema.json ./charts/vpcwire/values.schema.json
COPY --from=build /opt/vpcwire/build/cni/vpcwire ./build/cni/vpcwire
COPY --from=build /opt/vpcwire/build/kube-client.mjs ./build/kube-client.mjs
# The DaemonSet mounts the host's /opt/cni/bin and /etc/cni/net.d at these paths (the installer's
# defaults), /run/vpcwire for the sockets, /var/lib/vpcwire and /var/log/vpcwire.
ENV VPCWIRE_INSTALL_CNI=true
ENTRYPOINT ["node"]
CMD ["ipamd/main.ts"]
