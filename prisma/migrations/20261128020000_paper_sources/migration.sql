-- AlterTable: keep each source's original text beside the cleaned display text
ALTER TABLE "papers" ADD COLUMN "title_original" TEXT,
ADD COLUMN "abstract_original" TEXT;

-- CreateTable: validators for conditional requests (ETag / Last-Modified), per URL
CREATE TABLE "http_cache" (
    "url" TEXT NOT NULL,
    "etag" TEXT,
    "last_modified" TEXT,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "http_cache_pkey" PRIMARY KEY ("url")
);
