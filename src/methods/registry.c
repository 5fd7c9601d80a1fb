/* The methods `hadal run -method NAME` knows: a new method adds its line here. */
#include <hadal/methods.h>

const hd_method *const hd_methods[] = {&hd_method_ae, &hd_method_cwola, &hd_method_cwola_ee, &hd_method_dae, &hd_method_svdd, &hd_method_flow, &hd_method_rnd, &hd_method_aa, NULL};
