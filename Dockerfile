# One image for every Slotwise process: web (Reflex + /api/v1), RQ worker, scheduler, migrations.
# See docker-compose.yml; the command decides what a container runs.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    PATH=/app/.tools/node_modules/.bin:$PATH

# Node.js/npm to install bun from the npm registry (Reflex builds the frontend with it); curl for health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm unzip curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN npm install --silent --prefix .tools bun@1.4.4

COPY pyproject.toml alembic.ini rxconfig.py ./
COPY alembic ./alembic
COPY assets ./assets
COPY booking_app ./booking_app
COPY jobs ./jobs
# Editable: the app finds alembic.ini and alembic/ next to the booking_app package (settings.PROJECT_ROOT).
RUN pip install -e .

# Build the frontend once at image build time so `reflex run --env prod` starts from a warm .web/. The throwaway
# SECRET_KEY keeps the embedded mode from writing a key file into the image (containers get theirs at run time).
RUN SECRET_KEY=build-only-not-a-secret reflex export --frontend-only --no-zip

EXPOSE 3000
CMD ["reflex", "run", "--env", "prod", "--backend-host", "0.0.0.0", "--frontend-port", "3000", "--backend-port", "3000"]
