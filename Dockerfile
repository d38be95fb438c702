# The JetLag client image: JupyterLab with JetLag, the PhySL kernel and the JetLag panel.
#   docker build -t jetlag .
#   docker run --rm -p 8888:8888 jetlag      # then open the printed http://127.0.0.1:8888/... URL
# It installs exactly as the README's `scripts/start` does on a Debian machine:
# scripts/install-system (apt: python3-venv; Node.js when there is none) and then
# scripts/install (pip, pinned by requirements/constraints.txt, into the project's .venv).
# tests/newcomer/test_containers.py lints this file with hadolint and checks that its
# steps are the README's. The HPC side (the job runner) is containers/jetlag-runner.def.
FROM debian:12-slim

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# python3 and the certificates pip needs; scripts/install-system adds the rest.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# Node.js for the lab extension build: Rspack needs >= 20.19 and Debian 12's nodejs is 18,
# so the binary comes from the official Node.js 20 image (scripts/install-system then finds
# `node` and installs no nodejs from apt; jlpm itself comes with pip's build dependencies).
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node

WORKDIR /opt/jetlag
COPY . /opt/jetlag

# hadolint ignore=DL3008
RUN scripts/install-system \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 jetlag \
    && chown -R jetlag:jetlag /opt/jetlag

USER 1000
RUN scripts/install \
    && rm -rf /home/jetlag/.cache/pip

ENV PATH=/opt/jetlag/.venv/bin:$PATH
EXPOSE 8888
# scripts/start's JupyterLab command, listening on all interfaces of the container.
CMD ["jupyter", "lab", "--no-browser", "--ServerApp.ip=0.0.0.0", "--ServerApp.port=8888", "--ServerApp.root_dir=/opt/jetlag", "--LabApp.default_url=/lab/tree/notebooks/paper_demo.ipynb"]
