// SPDX-License-Identifier: GPL-2.0
/*
 * sweep: a setting changed once per run of the benchmark (see sweep.h).
 *
 * A global parameter goes through hpctl (its original into the state file
 * before the first change, so `cvmstat halt-poll --restore` can repair a
 * recording that was killed outright); at the end it gets back the value
 * it had when the sweep began, and its state-file entry goes again if the
 * sweep made it.  A VM's maximum goes through the module, which keeps the
 * VM's original itself: at the end a VM cvmstat had not changed before is
 * restored exactly (HP_OP_RESTORE), one it had is set back as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dev.h"
#include "hpctl.h"
#include "names.h"
#include "sweep.h"

struct cvm_sweep_vm {
	struct cvmstat_vm_info info;
	struct cvmstat_hp_vm before;
};

int cvm_sweep_parse(const char *arg, struct cvm_sweep *s)
{
	int n = cvm_hp_parse_sweep(arg, &s->param, &s->values);

	if (n < 0)
		return -n;
	s->n = n;
	return 0;
}

void cvm_sweep_phase_name(const struct cvm_sweep *s, int k, char *buf,
			  size_t len)
{
	snprintf(buf, len, "%s=%u", cvm_hp_names[s->param], s->values[k]);
}

static int vm_error(const struct cvmstat_vm_info *vm, int err)
{
	if (err == -ESRCH || err == -ENOENT) {
		cvm_err("VM %llu of process %d has exited",
			(unsigned long long)vm->vm_id, vm->pid);
		return EXIT_NOVM;
	}
	cvm_err("VM %llu: %s", (unsigned long long)vm->vm_id, strerror(-err));
	return cvm_errno_exit(-err);
}

static int begin_vms(struct cvm_sweep *s, int fd)
{
	struct cvmstat_vm_info *vms;
	int i, n, ret;

	n = cvm_select_vms(fd, s->pid, &vms);
	if (n < 0)
		return -n;
	s->vms = calloc(n ? n : 1, sizeof(*s->vms));
	if (!s->vms) {
		free(vms);
		cvm_err("out of memory");
		return EXIT_SYSTEM;
	}
	for (i = 0; i < n; i++) {
		struct cvm_sweep_vm *v = &s->vms[s->nr_vms];

		if (!(vms[i].flags & CVMSTAT_VM_ALIVE))
			continue;
		v->info = vms[i];
		ret = cvm_hp_vm_get(fd, vms[i].vm_id, &v->before);
		if (ret == -EOPNOTSUPP) {
			free(vms);
			cvm_err("this kernel's KVM gives cvmstat no per-VM maximum (cvmstat status: no haltpoll_vm)");
			return EXIT_SYSTEM;
		}
		if (ret == -ESRCH || ret == -ENOENT)
			continue;	/* exited meanwhile */
		if (ret) {
			ret = vm_error(&vms[i], ret);
			free(vms);
			return ret;
		}
		s->nr_vms++;
	}
	free(vms);
	if (!s->nr_vms) {
		cvm_err("no live VM of process %d to sweep", s->pid);
		return EXIT_NOVM;
	}
	return EXIT_OK;
}

int cvm_sweep_begin(struct cvm_sweep *s, int fd)
{
	bool have[CVM_HP_NR_GLOBAL];
	uint32_t orig[CVM_HP_NR_GLOBAL];
	int ret;

	if (s->param == CVM_HP_VM) {
		ret = begin_vms(s, fd);
	} else {
		ret = cvm_hp_read_checked(s->param, &s->start);
		if (ret)
			return ret;
		ret = cvm_hp_originals(have, orig);
		s->kept = !ret && have[s->param];
		ret = EXIT_OK;
	}
	return ret;
}

int cvm_sweep_set(struct cvm_sweep *s, int fd, int k, struct cvm_recorder *rec)
{
	uint32_t v = s->values[k];
	int i, ret;

	s->changed = true;
	if (s->param != CVM_HP_VM) {
		ret = cvm_hp_set_globals(&s->param, &v, 1);
		if (!ret && cvm_rec_setting(rec, s->param, v))
			ret = EXIT_SYSTEM;
		return ret;
	}
	/* the module logs each change: its rows come from there */
	for (i = 0; i < s->nr_vms; i++) {
		ret = cvm_hp_vm_set(fd, s->vms[i].info.vm_id, CVMSTAT_HP_OP_SET,
				    v);
		if (ret)
			return vm_error(&s->vms[i].info, ret);
	}
	return EXIT_OK;
}

int cvm_sweep_end(struct cvm_sweep *s, int fd, struct cvm_recorder *rec)
{
	int i, ret, code = EXIT_OK;

	if (!s->changed)
		return EXIT_OK;
	s->changed = false;
	if (s->param != CVM_HP_VM) {
		code = cvm_hp_set_globals(&s->param, &s->start, 1);
		if (!code && !s->kept)
			code = cvm_hp_forget(s->param);
		if (!code && rec && cvm_rec_setting(rec, s->param, s->start))
			code = EXIT_SYSTEM;
		return code;
	}
	for (i = 0; i < s->nr_vms; i++) {
		const struct cvmstat_hp_vm *b = &s->vms[i].before;
		uint64_t id = s->vms[i].info.vm_id;

		if (!(b->state & CVMSTAT_HP_SAVED))
			ret = cvm_hp_vm_set(fd, id, CVMSTAT_HP_OP_RESTORE, 0);
		else if (b->state & CVMSTAT_HP_OVERRIDE)
			ret = cvm_hp_vm_set(fd, id, CVMSTAT_HP_OP_SET, b->max_ns);
		else
			ret = cvm_hp_vm_set(fd, id, CVMSTAT_HP_OP_CLEAR, 0);
		/* a VM that ended meanwhile needs nothing back */
		if (ret && ret != -ESRCH && ret != -ENOENT && !code)
			code = vm_error(&s->vms[i].info, ret);
	}
	return code;
}

void cvm_sweep_free(struct cvm_sweep *s)
{
	free(s->values);
	free(s->vms);
	s->values = NULL;
	s->vms = NULL;
}
