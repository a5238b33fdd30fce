/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding a data symbol in a loaded module's ELF symbol table.
 *
 * cvmstat needs two of kvm.ko's data symbols that KVM does not export
 * (kvm_x86_ops, kvm_running_vcpu).  It reads them from kvm.ko's own symbol
 * table (struct module's kallsyms) instead of calling kallsyms_lookup_name:
 * that function is not exported, and calling it through an address learnt
 * from a kprobe jumps past its ENDBR on IBT kernels (#CP, a crash at load)
 * and fails the type-hash check on kCFI kernels.  Reading a table calls
 * nothing at all.
 *
 * Plain C, shared with the host unit tests (tests/unit/test_symtab.c).
 */
#ifndef _CVMSTAT_CORE_SYMTAB_H
#define _CVMSTAT_CORE_SYMTAB_H

#include "env.h"
#ifdef __KERNEL__
#include <linux/elf.h>
#else
#include <elf.h>
#endif

/*
 * @sym names @name: equal, or @name with the suffix an LTO build gives a
 * promoted local symbol ("kvm_running_vcpu.llvm.1234").
 */
static inline bool cvm_sym_is(const char *sym, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(sym, name, n) &&
	       (sym[n] == '\0' || !strncmp(sym + n, ".llvm.", 6));
}

/**
 * cvm_symtab_find() - the value of a defined symbol of a given type
 * @tab: the symbol table (a loaded module's: values are addresses)
 * @nr: entries in @tab
 * @strtab: its string table
 * @name: the symbol
 * @type: STT_OBJECT or STT_FUNC
 *
 * Return: the symbol's value; 0 if no defined symbol of that name and type
 * exists, or if more than one does (a guess could be another file's static
 * of the same name).
 */
static inline unsigned long cvm_symtab_find(const Elf64_Sym *tab,
					    unsigned int nr,
					    const char *strtab,
					    const char *name,
					    unsigned int type)
{
	unsigned long found = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const Elf64_Sym *s = &tab[i];

		if (s->st_shndx == SHN_UNDEF || !s->st_name ||
		    ELF64_ST_TYPE(s->st_info) != type ||
		    !cvm_sym_is(strtab + s->st_name, name))
			continue;
		if (found)
			return 0;
		found = s->st_value;
	}
	return found;
}

#endif /* _CVMSTAT_CORE_SYMTAB_H */
