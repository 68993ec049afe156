// The simulator library's identity, so Java can check it loaded the library it was built with.
extern "C" __attribute__((visibility("default"))) int fbsim_abi_version(void) { return 1; }
