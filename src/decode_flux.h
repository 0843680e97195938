/* Decoder for Flux results in annotated CSV (plain C, no R API).
 *
 * Records are taken from the stream as soon as they are complete (a quoted cell may span lines and
 * pieces). All tables of all results go into ONE table: the union of their columns, NA where a
 * table lacks a column, types from #datatype (widened where tables disagree), #default applied to
 * empty cells. Every table needs the #datatype, #group and #default annotations and a header
 * beginning with result,table (what the package asks for); data columns may also be called result
 * or table. With pivot, each _field becomes a column and rows are matched by the result, the
 * table's group key and _time, as Flux's pivot(rowKey: ["_time"], columnKey: ["_field"],
 * valueColumn: "_value") would do per result, without a second pass. */
#ifndef INFLUXTK_DECODE_FLUX_H
#define INFLUXTK_DECODE_FLUX_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "columns.h"
#include "decoder.h"

typedef enum {
  FLUX_OK = DECODE_OK,
  FLUX_ERR_QUERY = DECODE_ERR_QUERY,     /* an error table in the stream */
  FLUX_ERR_MALFORMED = DECODE_ERR_MALFORMED,
  FLUX_ERR_TRUNCATED = DECODE_ERR_TRUNCATED,
  FLUX_ERR_NOMEM = DECODE_ERR_NOMEM
} flux_status;

typedef enum {
  FT_STRING, FT_DOUBLE, FT_LONG, FT_ULONG, FT_BOOL, FT_TIME, FT_DURATION, FT_BASE64, FT_UNKNOWN
} flux_type;

typedef struct {
  int pivot;              /* fields as columns */
  int table_columns;      /* keep `result` and `table` */
  int value_empty_string; /* an empty _value of a string table is "", not NA (reads of stored points) */
} flux_options;

typedef struct { uint64_t key_off; uint32_t key_len; int32_t id; } flux_series_slot;
typedef struct { size_t first, end; } flux_series_run; /* output rows [first, end) */

typedef struct {
  flux_options opt;
  table *out;
  flux_status status;
  char message[2048];

  bytebuf pending;       /* bytes of the record being received */
  size_t scan;           /* how far pending was scanned for the end of a record */
  int in_quote;
  bytebuf cells;         /* unescaped cells of the current record, each NUL-terminated */
  size_t *cell_off, *cell_len;
  size_t ncells, cap_cells;

  /* the schema of the current table block */
  int have_header;
  size_t ncols;
  flux_type *types;
  uint8_t *group;
  bytebuf defaults;      /* NUL-separated #default cells */
  size_t *default_off, *default_len;
  int *colmap;           /* CSV column -> output column, -1 to skip */
  int error_table;
  int idx_result, idx_table, idx_field, idx_value, idx_time;
  int have_datatypes, have_group, have_default;
  int open_table;        /* a header or row since the last blank line */

  /* pivot state */
  bytebuf series_keys;
  flux_series_slot *series_slots;
  size_t series_cap, series_count;
  /* The output row of (series, time). While each series' rows are one run in time order (as
   * Flux sends them), a row is found in its series' run, at the cursor or by bisection: 8 bytes
   * a row. Otherwise every row goes into a hash table of 4-byte slots, with its series kept too. */
  table *row_keys;       /* by output row: time (column 0), series (column 1, once hashed) */
  flux_series_run *runs; /* by series */
  size_t runs_cap;
  size_t cursor;         /* the row after the last one found */
  int rows_hashed;
  uint32_t *row_slots;   /* open addressing: 1 + an output row, 0 = free */
  size_t row_cap, row_count;
  int current_series;
  bytebuf current_table_id;
  bytebuf scratch;
} flux_decoder;

/* The decoder, reached only through the common interface: "flux", text/csv and application/csv;
 * one table, every result in it. */
extern const decoder_vtable flux_decoder_vtable;

#endif
