-- Orthanc auto-routing to RadFlow: every new instance goes to the modality "RADFLOW"
-- (declared in orthanc.json), except what RadFlow itself sends back, so results never loop.
-- Research use only: RadFlow is not a medical device.

local RADFLOW = 'RADFLOW'            -- the DicomModalities entry of the RadFlow listener
local RADFLOW_MANUFACTURER = 'RadFlow'

function OnStoredInstance(instanceId, tags, metadata, origin)
  -- RadFlow's outputs (SR, report page, SEG) name RadFlow as manufacturer
  if tags['Manufacturer'] == RADFLOW_MANUFACTURER then
    return
  end
  -- anything RadFlow's own AE sent (belt and braces)
  if metadata ~= nil and metadata['RemoteAET'] == RADFLOW then
    return
  end
  -- an asynchronous job of Orthanc's, so a RadFlow outage never blocks storing (it shows in Jobs)
  local ok, err = pcall(function()
    RestApiPost('/modalities/' .. RADFLOW .. '/store',
      '{"Resources": ["' .. instanceId .. '"], "Asynchronous": true, "Priority": 0}')
  end)
  if not ok then
    print('RadFlow auto-routing: could not send ' .. instanceId .. ': ' .. tostring(err))
  end
end
