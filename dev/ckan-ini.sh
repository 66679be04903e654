#!/usr/bin/env bash
# Write a CKAN ini for the private services of dev/services.sh.
#   dev/ckan-ini.sh OUT.ini DATABASE SITE_URL
# The settings that make a site run ckanext-sdm are the ones under "sdm" below;
# README.md lists them for a production ini.
#   SDM_CKAN_PLUGINS  another plugin list, e.g. "activity" for a vanilla CKAN
#                     (the scheming and dcat settings are then inert)
#   SDM_CKAN_SITE_ID  ckan.site_id (default "default"); sites sharing one Solr
#                     core need their own: CKAN scopes each site's index by it
#   SDM_SOLR_CORE     the Solr core (default "ckan", the one dev/services.sh makes)
#   SDM_REDIS_DB      the Redis database number (default 1)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1 DB=$2 SITE_URL=$3
CKAN=${SDM_CKAN:-$ROOT/.venv/bin/ckan}
PG_PORT=${SDM_PG_PORT:-54329}
REDIS_PORT=${SDM_REDIS_PORT:-63799}
SOLR_PORT=${SDM_SOLR_PORT:-58983}
STORAGE=${SDM_RUN_DIR:-$ROOT/.run}/storage-$DB
# The key signing submission certificates: one per database, made once.
SIGNING_KEY=${SDM_RUN_DIR:-$ROOT/.run}/signing-$DB.pem
PLUGINS=${SDM_CKAN_PLUGINS:-sdm scheming_datasets scheming_organizations dcat activity}
SITE_ID=${SDM_CKAN_SITE_ID:-default}
SOLR_CORE=${SDM_SOLR_CORE:-ckan}
REDIS_DB=${SDM_REDIS_DB:-1}

mkdir -p "$(dirname "$OUT")" "$STORAGE"
"$ROOT/.venv/bin/python" -m ckanext.sdm.signing "$SIGNING_KEY" >/dev/null
[ -f "$OUT" ] || "$CKAN" generate config "$OUT" >/dev/null
"$CKAN" config-tool "$OUT" \
  "sqlalchemy.url = postgresql://ckan_default:pass@127.0.0.1:$PG_PORT/$DB" \
  "solr_url = http://127.0.0.1:$SOLR_PORT/solr/$SOLR_CORE" \
  "ckan.redis.url = redis://127.0.0.1:$REDIS_PORT/$REDIS_DB" \
  "ckan.site_url = $SITE_URL" \
  "ckan.site_id = $SITE_ID" \
  "ckan.storage_path = $STORAGE" \
  "ckan.plugins = $PLUGINS" \
  "scheming.dataset_schemas = sdm_schema:sdm_dataset.yaml" \
  "scheming.organization_schemas = sdm_schema:sdm_organization.yaml" \
  "scheming.presets = ckanext.scheming:presets.json sdm_schema:presets.yaml" \
  "scheming.dataset_fallback = false" \
  "ckan.locale_default = zh_Hans_CN" \
  "ckan.locales_offered = zh_Hans_CN en" \
  "ckan.locale_order = zh_Hans_CN en" \
  "ckan.auth.create_unowned_dataset = false" \
  "ckanext.sdm.submission.signing_key = $SIGNING_KEY" \
  "ckanext.dcat.rdf.profiles = sdm_national" >/dev/null
echo "$OUT"
