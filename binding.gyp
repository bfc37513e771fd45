{
  "targets": [
    {
      "target_name": "cvrl_native",
      "sources": [
        "native/addon.cc",
        "native/tensor_wrap.cc",
        "native/ops_creation.cc",
        "native/ops_math.cc",
        "native/ops_shape.cc",
        "native/ops_nn.cc",
        "native/add_relu.cc",
        "native/onednn_common.cc",
        "native/onednn_conv.cc",
        "native/conv_space_to_depth.cc",
        "native/onednn_matmul.cc",
        "native/onednn_batchnorm.cc",
        "native/onednn_pool.cc",
        "native/aligned_differences.cc",
        "native/pseudo_motion_grid.cc",
        "native/ops_loss.cc",
        "native/ops_autograd.cc",
        "native/optim_steps.cc",
        "native/runtime.cc",
        "native/ops_distributed.cc",
        "native/dist_nccl.cc",
        "native/dist_group.cc",
        "native/dist_collectives.cc",
        "native/dist_autograd.cc",
        "native/video_reader.cc",
        "native/video_open.cc",
        "native/video_display.cc",
        "native/video_args.cc",
        "native/augment_args.cc",
        "native/js_args.cc",
        "native/video_writer.cc",
        "native/video_bindings.cc",
        "native/augment.cc",
        "native/augment_resize.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/torch-config.mjs include)",
        "<!@(node scripts/ffmpeg-config.mjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "<!@(node scripts/torch-config.mjs defines)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<!(node scripts/torch-config.mjs std)", "-fexceptions", "-frtti", "-O2", "-ffp-contract=off", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "<!@(node scripts/torch-config.mjs cflags)"],
      "libraries": [
        "-L<!(node scripts/torch-config.mjs libdir)",
        "-Wl,-rpath,<!(node scripts/torch-config.mjs libdir)",
        "<!@(node scripts/torch-config.mjs libs)",
        "<!@(node scripts/ffmpeg-config.mjs libs)"
      ]
    }
  ]
}
