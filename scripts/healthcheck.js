// The container's health probe (the Dockerfile's HEALTHCHECK and docker-compose.yml): GETs a URL
// and exits 0 on a 2xx answer, 1 on anything else. The slim runtime image has no curl or wget.
// Default URL: this process's /healthz on PORT. Run: node scripts/healthcheck.js [URL]
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT || 3000}/healthz`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  // Read the body so the connection closes before we exit.
  await response.arrayBuffer();
  if (!response.ok) {
    console.error(`unhealthy: ${url} answered ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`unhealthy: ${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
