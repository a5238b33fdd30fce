// SPDX-License-Identifier: GPL-2.0
/*
 * recorder: counter deltas attributed to benchmark phases.
 *
 * The module keeps, for every vCPU, its counters as they were at the latest
 * mark, so the counts of a phase are exact when each mark is read before the
 * next one: a mark's rows are that VM's counters as of the mark minus the
 * previous rows.  Live reads between marks are accepted only when no mark
 * was made while they ran (the mark sequence is the same before and after);
 * otherwise the marks are handled first and the read is taken again.
 *
 * Host marks start a phase for every recorded VM, guest marks (the phase
 * port) for the VM that wrote them only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "recorder.h"
#include "snapshot.h"

/* Live reads retried this often when marks keep arriving meanwhile. */
#define LIVE_TRIES	8

struct cvm_rec_vm {
	uint64_t vm_id;
	pid_t pid;
	uint64_t phase_seq;
	char phase[CVM_PHASE_NAME_MAX];
	struct cvmstat_record *prev;	/* last rows' counters, sorted */
	uint32_t n_prev;
	bool listed;			/* still held by the module */
	bool stale;			/* not read exactly at this host mark */
};

static void phase_name(const struct cvmstat_phase *m, char *buf)
{
	if (m->source == CVMSTAT_PHASE_GUEST)
		snprintf(buf, CVM_PHASE_NAME_MAX, "guest phase %u", m->value);
	else
		snprintf(buf, CVM_PHASE_NAME_MAX, "%.*s",
			 (int)sizeof(m->name), m->name);
}

static void set_phase(struct cvm_rec_vm *v, uint64_t seq, const char *name)
{
	v->phase_seq = seq;
	snprintf(v->phase, sizeof(v->phase), "%s", name);
}

static int out_row(struct cvm_recorder *r, const struct cvm_row *row)
{
	int ret = cvm_out_row(r->out, row);

	if (ret && !r->err)
		r->err = ret;
	return ret ? -EXIT_SYSTEM : 0;
}

/* Rows for what changed in @v between its last rows and @rd; keeps @rd. */
static int emit_deltas(struct cvm_recorder *r, struct cvm_rec_vm *v,
		       struct cvm_vm_read *rd, uint64_t time_ns)
{
	struct cvmstat_record *d;
	uint32_t i, n;
	int ret = 0;

	cvm_snap_sort(rd->recs, rd->nr);
	d = malloc((rd->nr ? rd->nr : 1) * sizeof(*d));
	if (!d) {
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	n = cvm_snap_delta(v->prev, v->n_prev, rd->recs, rd->nr, d);
	for (i = 0; i < n && !ret; i++) {
		char name[128];
		const char *kind = cvm_name_kind(d[i].kind);
		struct cvm_row row = {
			.time_ns = time_ns,
			.phase_seq = v->phase_seq,
			.phase = v->phase,
			.vm_id = v->vm_id,
			.pid = v->pid,
			.vcpu = d[i].vcpu_id,
			.kind = kind ? kind : "unknown",
			/* a reason's key without the ISA in its upper half */
			.key = d[i].kind == CVMSTAT_KIND_REASON ?
			       (uint32_t)d[i].key : d[i].key,
			.dir = cvm_dir_name(d[i].dir),
			.name = name,
			.count = d[i].count,
		};

		cvm_format_record_name(name, sizeof(name), d[i].kind,
				       d[i].key);
		if (d[i].kind == CVMSTAT_KIND_OVERFLOW && d[i].key < 32 &&
		    !(r->not_keyed & 1U << d[i].key)) {
			r->not_keyed |= 1U << d[i].key;
			cvm_err("warning: VM %llu: %s events found the module's key table full and have no key; they are counted in rows of kind overflow, name %s",
				(unsigned long long)v->vm_id, name, name);
		}
		ret = out_row(r, &row);
	}
	free(d);
	free(v->prev);
	v->prev = rd->recs;
	v->n_prev = rd->nr;
	rd->recs = NULL;
	return ret;
}

static struct cvm_rec_vm *find_vm(struct cvm_recorder *r, uint64_t vm_id)
{
	int i;

	for (i = 0; i < r->nr_vms; i++)
		if (r->vms[i].vm_id == vm_id)
			return &r->vms[i];
	return NULL;
}

/*
 * Follows the module's VM list: new VMs (of the recorded VMM) join in the
 * current host phase with an empty baseline, so everything they do counts;
 * VMs the module no longer holds are dropped.
 */
static int sync_vms(struct cvm_recorder *r)
{
	struct cvmstat_vm_info *vms;
	int i, n, k;

	n = r->src.list_vms(r->src.ctx, &vms);
	if (n < 0)
		return n;
	for (i = 0; i < r->nr_vms; i++)
		r->vms[i].listed = false;
	for (i = 0; i < n; i++) {
		struct cvm_rec_vm *v;

		if (r->pid && vms[i].pid != r->pid)
			continue;
		v = find_vm(r, vms[i].vm_id);
		if (!v) {
			v = realloc(r->vms, (r->nr_vms + 1) * sizeof(*v));
			if (!v) {
				free(vms);
				cvm_err("out of memory");
				return -EXIT_SYSTEM;
			}
			r->vms = v;
			v = &r->vms[r->nr_vms++];
			memset(v, 0, sizeof(*v));
			v->vm_id = vms[i].vm_id;
			v->pid = vms[i].pid;
			set_phase(v, r->host_seq, r->host_phase);
		}
		v->listed = true;
	}
	free(vms);
	for (i = k = 0; i < r->nr_vms; i++) {
		if (r->vms[i].listed)
			r->vms[k++] = r->vms[i];
		else
			free(r->vms[i].prev);
	}
	r->nr_vms = k;
	return 0;
}

static int read_error(uint64_t vm_id, int err)
{
	cvm_err("reading VM %llu: %s", (unsigned long long)vm_id,
		strerror(-err));
	return -cvm_errno_exit(-err);
}

/*
 * A host mark some VMs could not be read exactly at: one mark_inexact row
 * per such VM, after the host's mark row, so that one VM's trouble (a guest
 * marking faster than it can be read) says nothing of the others.
 */
static int inexact_rows(struct cvm_recorder *r, const struct cvmstat_phase *m,
			const char *name)
{
	int i, ret;

	for (i = 0; i < r->nr_vms; i++) {
		if (!r->vms[i].stale)
			continue;
		r->vms[i].stale = false;
		ret = out_row(r, &(struct cvm_row){
			.time_ns = m->time_ns,
			.phase_seq = m->seq,
			.phase = name,
			.vm_id = r->vms[i].vm_id,
			.pid = r->vms[i].pid,
			.vcpu = 0,
			.kind = "mark_inexact",
			.key = m->seq,
			.dir = "-",
			.name = "host",
			.count = 1,
		});
		if (ret)
			return ret;
	}
	return 0;
}

/* One mark: close the phase of every VM it concerns, then a mark row. */
static int handle_mark(struct cvm_recorder *r, const struct cvmstat_phase *m)
{
	bool host = m->source != CVMSTAT_PHASE_GUEST;
	struct cvm_rec_vm *marker = NULL;
	char name[CVM_PHASE_NAME_MAX];
	bool exact = true;
	int i, ret;

	phase_name(m, name);
	for (i = 0; i < r->nr_vms; i++) {
		struct cvm_rec_vm *v = &r->vms[i];
		struct cvm_vm_read rd;

		if (!host && v->vm_id != m->vm_id)
			continue;
		if (!host)
			marker = v;
		ret = r->src.read_vm(r->src.ctx, v->vm_id, m->seq, &rd);
		if (ret == -ESTALE) {
			/* A later mark overwrote this one's boundary. */
			exact = false;
			v->stale = true;
		} else if (ret == -ENOENT) {
			/* Forgotten (reset, retention limit): next sync. */
		} else if (ret) {
			return read_error(v->vm_id, ret);
		} else {
			ret = emit_deltas(r, v, &rd, m->time_ns);
			cvm_vm_read_free(&rd);
			if (ret)
				return ret;
		}
		set_phase(v, m->seq, name);
	}
	if (host) {
		r->host_seq = m->seq;
		snprintf(r->host_phase, sizeof(r->host_phase), "%s", name);
	} else if (!marker) {
		return 0;	/* a VM this recording leaves out */
	}
	if (!exact) {
		r->inexact++;
		cvm_err("warning: mark %llu (%s) came too soon after the previous one to be read exactly; counts around it go to the phase after it",
			(unsigned long long)m->seq, name);
	}
	ret = out_row(r, &(struct cvm_row){
		.time_ns = m->time_ns,
		.phase_seq = m->seq,
		.phase = name,
		.vm_id = host ? 0 : m->vm_id,
		.pid = host ? 0 : marker->pid,
		.vcpu = host ? 0 : m->vcpu_id,
		.kind = exact || host ? "mark" : "mark_inexact",
		.key = m->seq,
		.dir = "-",
		.name = host ? "host" : "guest",
		.count = 1,
	});
	if (ret || exact || !host)
		return ret;
	return inexact_rows(r, m, name);
}

/* The newest mark: whether any came since @r->listed. */
static int newest_mark(struct cvm_recorder *r, uint64_t *last)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	uint32_t lost;
	int n = r->src.list_marks(r->src.ctx, r->listed, marks, last, &lost);

	if (n < 0) {
		cvm_err("listing phase marks: %s", strerror(-n));
		return -cvm_errno_exit(-n);
	}
	return 0;
}

int cvm_rec_marks(struct cvm_recorder *r)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	bool synced = false;
	uint64_t last;
	uint32_t lost;
	int i, n, ret;

	do {
		n = r->src.list_marks(r->src.ctx, r->listed, marks, &last,
				      &lost);
		if (n < 0) {
			cvm_err("listing phase marks: %s", strerror(-n));
			return -cvm_errno_exit(-n);
		}
		if (last <= r->listed)
			return 0;
		if (lost) {
			r->lost += lost;
			cvm_err("warning: %u phase marks were made faster than they could be read and are lost",
				lost);
		}
		if (!synced) {
			ret = sync_vms(r);
			if (ret)
				return ret;
			synced = true;
		}
		for (i = 0; i < n; i++) {
			ret = handle_mark(r, &marks[i]);
			if (ret)
				return ret;
			r->listed = marks[i].seq;
		}
		if (!n)
			r->listed = last;
	} while (r->listed < last);
	return 0;
}

static void free_reads(struct cvm_vm_read *rd, int n)
{
	int i;

	for (i = 0; i < n; i++)
		cvm_vm_read_free(&rd[i]);
	free(rd);
}

/*
 * Every recorded VM read live, into @rds (one per VM, in order; a VM
 * forgotten meanwhile reads empty, vm_id 0).  *@quiet: no mark was made
 * while they were read, so the reads all lie inside the current phases.
 */
static int read_all(struct cvm_recorder *r, struct cvm_vm_read **rds,
		    bool *quiet)
{
	struct cvm_vm_read *rd;
	uint64_t last;
	int i, ret;

	rd = calloc(r->nr_vms ? r->nr_vms : 1, sizeof(*rd));
	if (!rd) {
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	for (i = 0; i < r->nr_vms; i++) {
		ret = r->src.read_vm(r->src.ctx, r->vms[i].vm_id, 0, &rd[i]);
		if (ret && ret != -ENOENT) {
			ret = read_error(r->vms[i].vm_id, ret);
			goto fail;
		}
	}
	ret = newest_mark(r, &last);
	if (ret)
		goto fail;
	*quiet = last <= r->listed;
	*rds = rd;
	return 0;
fail:
	free_reads(rd, r->nr_vms);
	return ret;
}

/* Live reads, taken again (after handling the marks) while marks come. */
static int read_live(struct cvm_recorder *r, struct cvm_vm_read **rds)
{
	bool quiet = false;
	int tries, ret;

	for (tries = 0; !quiet && tries <= LIVE_TRIES; tries++) {
		if (tries)
			free_reads(*rds, r->nr_vms);
		ret = cvm_rec_marks(r);
		if (!ret)
			ret = sync_vms(r);
		if (!ret)
			ret = read_all(r, rds, &quiet);
		if (ret)
			return ret;
	}
	if (!quiet)
		cvm_err("warning: phase marks keep coming while reading; some counts may go to the phase after them");
	return 0;
}

int cvm_rec_start(struct cvm_recorder *r)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	struct cvm_vm_read *rd;
	bool quiet = false;
	uint64_t last;
	uint32_t lost;
	int i, k, n, ret, tries;

	/*
	 * The phase in effect and the baseline must belong together: when a
	 * mark comes while the baseline is read, start over.
	 */
	for (tries = 0; !quiet; tries++) {
		if (tries) {
			free_reads(rd, r->nr_vms);
			cvm_rec_free(r);
		}
		r->host_seq = 0;
		snprintf(r->host_phase, sizeof(r->host_phase), "-");
		n = r->src.list_marks(r->src.ctx, 0, marks, &last, &lost);
		if (n < 0) {
			cvm_err("listing phase marks: %s", strerror(-n));
			return -cvm_errno_exit(-n);
		}
		/* The phase in effect: the newest host mark held. */
		for (i = 0; i < n; i++) {
			if (marks[i].source != CVMSTAT_PHASE_GUEST) {
				r->host_seq = marks[i].seq;
				phase_name(&marks[i], r->host_phase);
			}
		}
		r->listed = last;
		ret = sync_vms(r);
		if (!ret)
			ret = read_all(r, &rd, &quiet);
		if (ret)
			return ret;
		if (!quiet && tries == LIVE_TRIES)
			cvm_err("warning: phase marks keep coming; starting anyway");
		quiet |= tries == LIVE_TRIES;
	}
	/* A VM's own newer guest mark rules it; the baseline is not written. */
	for (k = 0; k < r->nr_vms; k++) {
		struct cvm_rec_vm *v = &r->vms[k];

		for (i = 0; i < n; i++) {
			if (marks[i].source == CVMSTAT_PHASE_GUEST &&
			    marks[i].vm_id == v->vm_id &&
			    marks[i].seq > v->phase_seq) {
				char name[CVM_PHASE_NAME_MAX];

				phase_name(&marks[i], name);
				set_phase(v, marks[i].seq, name);
			}
		}
		cvm_snap_sort(rd[k].recs, rd[k].nr);
		free(v->prev);
		v->prev = rd[k].recs;
		v->n_prev = rd[k].nr;
		rd[k].recs = NULL;
	}
	free_reads(rd, r->nr_vms);
	return 0;
}

int cvm_rec_interval(struct cvm_recorder *r)
{
	struct cvm_vm_read *rd;
	int i, ret = 0;

	ret = read_live(r, &rd);
	if (ret)
		return ret;
	for (i = 0; i < r->nr_vms && !ret; i++)
		if (rd[i].vm_id)
			ret = emit_deltas(r, &r->vms[i], &rd[i],
					  rd[i].snap_ns);
	free_reads(rd, r->nr_vms);
	if (ret)
		return ret;
	ret = cvm_out_flush(r->out);
	if (ret) {
		if (!r->err)
			r->err = ret;
		return -EXIT_SYSTEM;
	}
	return 0;
}

void cvm_rec_free(struct cvm_recorder *r)
{
	int i;

	for (i = 0; i < r->nr_vms; i++)
		free(r->vms[i].prev);
	free(r->vms);
	r->vms = NULL;
	r->nr_vms = 0;
}
