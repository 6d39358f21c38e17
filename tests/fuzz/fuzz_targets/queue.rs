//! libFuzzer entry point for [`xen_channel_fuzz::queue`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xen_channel_fuzz::queue::run(data));
