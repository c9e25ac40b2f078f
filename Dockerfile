# One image for ipamd, the CNI plugin and its installer (DESIGN.md §1). ipamd and the plugin come
# with their issues; today the image carries the emulator CLI (`vpcwire sim`). Node 24 runs the
# TypeScript sources directly (type stripping), so there is no build stage.
# Not built in this workplace: it has no Docker engine.
FROM node:24-bookworm-slim
WORKDIR /opt/vpcwire
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY sim ./sim
COPY data ./data
ENTRYPOINT ["node", "bin/vpcwire.ts"]
CMD ["sim", "--host", "0.0.0.0"]
