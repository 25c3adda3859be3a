# salesbot: one image for the web and worker roles. Build: docker build -t salesbot .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080

RUN useradd --create-home --uid 10001 salesbot
WORKDIR /app

# Dependencies in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers sales storage \
    && touch bot/__init__.py handlers/__init__.py sales/__init__.py storage/__init__.py \
    && pip install . \
    && pip uninstall -y salesbot

COPY bot ./bot
COPY handlers ./handlers
COPY sales ./sales
COPY storage ./storage
RUN pip install --no-deps .

USER 10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/healthz', timeout=4)"]

# The same two commands as running without Docker (README): migrate, then run.
CMD ["sh", "-c", "salesbot migrate && exec salesbot run"]
