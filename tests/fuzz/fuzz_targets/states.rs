//! libFuzzer entry point for [`xen_channel_fuzz::states`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xen_channel_fuzz::states::run(data));
