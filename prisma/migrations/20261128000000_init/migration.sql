-- CreateEnum
CREATE TYPE "subscriber_status" AS ENUM ('pending', 'active', 'paused', 'unsubscribed', 'bounced', 'complained');

-- CreateEnum
CREATE TYPE "frequency" AS ENUM ('daily', 'weekdays', 'weekly');

-- CreateEnum
CREATE TYPE "interest_kind" AS ENUM ('text', 'author', 'exclude');

-- CreateEnum
CREATE TYPE "delivery_status" AS ENUM ('planned', 'sending', 'sent', 'failed', 'bounced', 'skipped');

-- CreateTable
CREATE TABLE "subscribers" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "email" TEXT NOT NULL,
    "status" "subscriber_status" NOT NULL DEFAULT 'pending',
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "delivery_hour" INTEGER NOT NULL DEFAULT 8,
    "frequency" "frequency" NOT NULL DEFAULT 'daily',
    "max_papers" INTEGER NOT NULL DEFAULT 10,
    "token_version" INTEGER NOT NULL DEFAULT 1,
    "confirmation_sent_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "confirmed_at" TIMESTAMPTZ(3),
    "unsubscribed_at" TIMESTAMPTZ(3),

    CONSTRAINT "subscribers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "topics" (
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "group_name" TEXT NOT NULL,
    "query_terms" TEXT[],
    "arxiv_categories" TEXT[],

    CONSTRAINT "topics_pkey" PRIMARY KEY ("slug")
);

-- CreateTable
CREATE TABLE "subscriber_topics" (
    "subscriber_id" UUID NOT NULL,
    "topic_slug" TEXT NOT NULL,

    CONSTRAINT "subscriber_topics_pkey" PRIMARY KEY ("subscriber_id","topic_slug")
);

-- CreateTable
CREATE TABLE "interests" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "subscriber_id" UUID NOT NULL,
    "kind" "interest_kind" NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "interests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "papers" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "abstract" TEXT NOT NULL,
    "authors" TEXT[],
    "categories" TEXT[],
    "keywords" TEXT[],
    "page_url" TEXT,
    "pdf_url" TEXT,
    "code_url" TEXT,
    "sources" TEXT[],
    "published_at" TIMESTAMPTZ(3),
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "upvotes" INTEGER NOT NULL DEFAULT 0,
    "comments" INTEGER NOT NULL DEFAULT 0,
    "stars" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "papers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "paper_signals" (
    "id" BIGSERIAL NOT NULL,
    "paper_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "captured_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "upvotes" INTEGER NOT NULL DEFAULT 0,
    "comments" INTEGER NOT NULL DEFAULT 0,
    "stars" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "paper_signals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "subscriber_id" UUID NOT NULL,
    "digest_date" DATE NOT NULL,
    "status" "delivery_status" NOT NULL DEFAULT 'planned',
    "message_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "planned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "delivery_papers" (
    "subscriber_id" UUID NOT NULL,
    "paper_id" TEXT NOT NULL,
    "delivery_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "why" TEXT NOT NULL,

    CONSTRAINT "delivery_papers_pkey" PRIMARY KEY ("subscriber_id","paper_id")
);

-- CreateTable
CREATE TABLE "consent_events" (
    "id" BIGSERIAL NOT NULL,
    "subscriber_id" UUID,
    "kind" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ip" TEXT,
    "user_agent" TEXT,
    "detail" JSONB,

    CONSTRAINT "consent_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "suppressions" (
    "email_hash" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "suppressions_pkey" PRIMARY KEY ("email_hash")
);

-- CreateTable
CREATE TABLE "ingest_runs" (
    "id" BIGSERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL DEFAULT 'running',
    "fetched" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT,

    CONSTRAINT "ingest_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscribers_email_key" ON "subscribers"("email");

-- CreateIndex
CREATE INDEX "subscribers_status_idx" ON "subscribers"("status");

-- CreateIndex
CREATE INDEX "subscriber_topics_topic_slug_idx" ON "subscriber_topics"("topic_slug");

-- CreateIndex
CREATE UNIQUE INDEX "interests_subscriber_id_kind_value_key" ON "interests"("subscriber_id", "kind", "value");

-- CreateIndex
CREATE INDEX "papers_first_seen_at_idx" ON "papers"("first_seen_at");

-- CreateIndex
CREATE INDEX "paper_signals_paper_id_captured_at_idx" ON "paper_signals"("paper_id", "captured_at");

-- CreateIndex
CREATE INDEX "deliveries_digest_date_status_idx" ON "deliveries"("digest_date", "status");

-- CreateIndex
CREATE UNIQUE INDEX "deliveries_subscriber_id_digest_date_key" ON "deliveries"("subscriber_id", "digest_date");

-- CreateIndex
CREATE INDEX "delivery_papers_delivery_id_idx" ON "delivery_papers"("delivery_id");

-- CreateIndex
CREATE INDEX "consent_events_subscriber_id_idx" ON "consent_events"("subscriber_id");

-- CreateIndex
CREATE INDEX "ingest_runs_source_started_at_idx" ON "ingest_runs"("source", "started_at");

-- AddForeignKey
ALTER TABLE "subscriber_topics" ADD CONSTRAINT "subscriber_topics_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriber_topics" ADD CONSTRAINT "subscriber_topics_topic_slug_fkey" FOREIGN KEY ("topic_slug") REFERENCES "topics"("slug") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interests" ADD CONSTRAINT "interests_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "paper_signals" ADD CONSTRAINT "paper_signals_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "delivery_papers" ADD CONSTRAINT "delivery_papers_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE SET NULL ON UPDATE CASCADE;
