#!/usr/bin/python3
"""The HippoVolume.AI segmentation network: MIC-DKFZ's recursive 2D U-Net, rebuilt module for module.

Source of the architecture (Apache License 2.0, Copyright 2017 Division of Medical Image Computing, German Cancer
Research Center (DKFZ)): github.com/MIC-DKFZ/basic_unet_example, file networks/RecursiveUNet.py (class ``UNet``
built from ``UnetSkipConnectionBlock``s). HippoVolume.AI (the Udacity "AI for Healthcare" hippocampal volume
project) trains that file's ``UNet(num_classes=3)`` with its defaults: in_channels=1, initial_filter_size=64,
kernel_size=3, num_downs=4, norm_layer=nn.InstanceNorm2d, LeakyReLU, and saves ``model.state_dict()``.

This file is written for RadFlow but keeps the original's module tree and attribute names (``model`` ->
``UnetSkipConnectionBlock.model`` -> nn.Sequential indices), so a state dict saved by the original project loads
here with ``load_state_dict(strict=True)``. Key layout, for reference:
    model.model.0.0.weight   outermost contract conv 1 (in_channels -> f)
    model.model.2.model.1.0  next level's first conv (after its MaxPool at index 0), and so on down.
InstanceNorm2d has no parameters (affine=False, no running statistics), as in the original.

Run ``/usr/bin/python3 tools/models/hippovolume_unet.py`` to print the parameter count (31 030 723 at 64 filters,
4 downsamplings, 3 classes).
"""
import argparse

import torch
from torch import nn


class UnetSkipConnectionBlock(nn.Module):
    """One level of the U-Net. Non-outermost levels return cat([input, upsampled output]) along channels.

    outermost:  conv1, conv2, <submodule>, conv3, conv4, final 1x1 conv to num_classes
    middle:     maxpool, conv1, conv2, <submodule>, conv3, conv4, transposed conv (2x2, stride 2)
    innermost:  maxpool, conv1, conv2, transposed conv
    "contract" convs: Conv2d(k, padding=1) + norm + LeakyReLU; "expand" convs: Conv2d(k, padding=1) + LeakyReLU.
    """

    def __init__(self, in_channels=None, out_channels=None, num_classes=1, kernel_size=3, submodule=None,
                 outermost=False, innermost=False, norm_layer=nn.InstanceNorm2d, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        pool = nn.MaxPool2d(2, stride=2)
        conv1 = self.contract(in_channels, out_channels, kernel_size, norm_layer)
        conv2 = self.contract(out_channels, out_channels, kernel_size, norm_layer)
        conv3 = self.expand(out_channels * 2, out_channels, kernel_size)
        conv4 = self.expand(out_channels, out_channels, kernel_size)
        if outermost:
            layers = [conv1, conv2, submodule, conv3, conv4, nn.Conv2d(out_channels, num_classes, kernel_size=1)]
        elif innermost:
            layers = [pool, conv1, conv2, nn.ConvTranspose2d(in_channels * 2, in_channels, kernel_size=2, stride=2)]
        else:
            layers = [pool, conv1, conv2, submodule, conv3, conv4,
                      nn.ConvTranspose2d(in_channels * 2, in_channels, kernel_size=2, stride=2)]
            if use_dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    @staticmethod
    def contract(in_channels, out_channels, kernel_size=3, norm_layer=nn.InstanceNorm2d):
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, padding=1),
                             norm_layer(out_channels), nn.LeakyReLU(inplace=True))

    @staticmethod
    def expand(in_channels, out_channels, kernel_size=3):
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, padding=1), nn.LeakyReLU(inplace=True))

    @staticmethod
    def center_crop(layer, target_height, target_width):
        h, w = layer.shape[2], layer.shape[3]
        top = (h - target_height) // 2
        left = (w - target_width) // 2
        return layer[:, :, top:top + target_height, left:left + target_width]

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        y = self.model(x)
        if y.shape[2] != x.shape[2] or y.shape[3] != x.shape[3]:
            # Only when H or W is not a multiple of 2**num_downs (the module always pads to one, so the exported
            # graph has no crop). The original crops the same way.
            y = self.center_crop(y, x.shape[2], x.shape[3])
        return torch.cat([x, y], 1)


class RecursiveUNet(nn.Module):
    """MIC-DKFZ basic_unet ``UNet``: input [N, in_channels, H, W] -> logits [N, num_classes, H, W]."""

    def __init__(self, num_classes=3, in_channels=1, initial_filter_size=64, kernel_size=3, num_downs=4,
                 norm_layer=nn.InstanceNorm2d):
        super().__init__()
        f = initial_filter_size
        block = UnetSkipConnectionBlock(in_channels=f * 2 ** (num_downs - 1), out_channels=f * 2 ** num_downs,
                                        num_classes=num_classes, kernel_size=kernel_size, norm_layer=norm_layer,
                                        innermost=True)
        for i in range(1, num_downs):
            block = UnetSkipConnectionBlock(in_channels=f * 2 ** (num_downs - (i + 1)),
                                            out_channels=f * 2 ** (num_downs - i), num_classes=num_classes,
                                            kernel_size=kernel_size, submodule=block, norm_layer=norm_layer)
        self.model = UnetSkipConnectionBlock(in_channels=in_channels, out_channels=f, num_classes=num_classes,
                                             kernel_size=kernel_size, submodule=block, norm_layer=norm_layer,
                                             outermost=True)

    def forward(self, x):
        return self.model(x)


# The original's name for the class, so pickles and scripts that say UNet find it.
UNet = RecursiveUNet


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Print the HippoVolume.AI U-Net's size.")
    ap.add_argument("--filters", type=int, default=64, help="initial_filter_size (original: 64)")
    ap.add_argument("--downs", type=int, default=4, help="num_downs (original: 4)")
    a = ap.parse_args()
    net = RecursiveUNet(num_classes=3, in_channels=1, initial_filter_size=a.filters, num_downs=a.downs)
    print(f"RecursiveUNet(num_classes=3, in_channels=1, initial_filter_size={a.filters}, num_downs={a.downs}): "
          f"{parameter_count(net):,} parameters")
    with torch.no_grad():
        y = net(torch.zeros(1, 1, 64, 48))
    print("output for a [1,1,64,48] input:", list(y.shape))
