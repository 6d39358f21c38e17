//! libFuzzer entry point for [`xen_channel_fuzz::ring_path`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xen_channel_fuzz::ring_path::run(data));
